// Fuzzes the callback parameters as /auth/callback reads them (gateway/callback.cc): the
// query of a GET or the application/x-www-form-urlencoded body of a form_post, through
// core::formDecode and oidc::parseCallback, then the RFC 9207 iss check. The first byte
// picks GET (even) or form_post (odd) and whether the provider advertises iss (bit 1).
// Asserts: a parsed code is never longer than the limit and is printable ASCII; a
// provider error keeps its fields within their caps; parsing the same params twice gives
// the same answer.
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

#include "authgate/core/codec.h"
#include "authgate/oidc/callback.h"
#include "fuzz_support.h"

using namespace authgate;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  constexpr std::size_t kMaxCode = 2048;
  const bool formPost = (data[0] & 1) != 0;
  const bool issRequired = (data[0] & 2) != 0;
  std::string_view input = fuzz::text(data + 1, size - 1);
  // A GET's query arrives without its '?'; a body as sent.
  if (!formPost && !input.empty() && input.front() == '?') input.remove_prefix(1);
  auto params = core::formDecode(input);
  if (!params) return 0;
  auto parsed = oidc::parseCallback(*params, kMaxCode);
  auto again = oidc::parseCallback(*params, kMaxCode);
  if (static_cast<bool>(parsed) != static_cast<bool>(again)) fuzz::fail();
  if (!parsed) {
    if (parsed.error() != again.error()) fuzz::fail();
    return 0;
  }
  if (auto* code = std::get_if<oidc::AuthorizationCode>(&*parsed)) {
    const std::string& c = code->code.reveal();
    if (c.empty() || c.size() > kMaxCode) fuzz::fail();
    for (unsigned char ch : c) {
      if (ch < 0x21 || ch > 0x7e) fuzz::fail();
    }
    oidc::CallbackExpectations expect;
    expect.issuer = "https://tenant.auth0.com/";
    expect.iss_required = issRequired;
    auto iss = oidc::checkIssuerParam(code->iss, expect);
    if (iss && issRequired && code->iss != expect.issuer) fuzz::fail();
  } else {
    const auto& e = std::get<oidc::ProviderError>(*parsed);
    // `error` wins over `code` even when empty: the attempt ends, nobody signs in.
    // Provider text is capped and has no control characters (it reaches a page and a log).
    for (const std::string* text : {&e.error, &e.error_description, &e.error_uri}) {
      if (text->size() > 512) fuzz::fail();
      for (unsigned char ch : *text) {
        if (ch < 0x20 || ch == 0x7f) fuzz::fail();
      }
    }
    const int status = oidc::providerErrorStatus(e.error);
    if (status != 400 && status != 401) fuzz::fail();
    (void)core::htmlEscape(e.error_description);
  }
  return 0;
}
