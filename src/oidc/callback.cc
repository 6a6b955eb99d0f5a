#include "authgate/oidc/callback.h"

#include <set>

#include "authgate/core/crypto.h"

namespace authgate::oidc {
namespace {

constexpr std::size_t kMaxErrorTextBytes = 512;
constexpr std::size_t kMaxStateBytes = 512;

// Provider error text is shown on a page: keep it short and free of control characters
// so it cannot break log lines or layouts (escaping is the page's job).
std::string cleanText(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, kMaxErrorTextBytes)) {
    auto u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? ' ' : c);
  }
  return out;
}

bool isVisibleAscii(std::string_view s) {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u > 0x7e) return false;
  }
  return true;
}

}  // namespace

int providerErrorStatus(std::string_view error) {
  static const std::set<std::string_view> kAuth = {
      "access_denied",    "unauthorized",         "login_required",
      "consent_required", "interaction_required", "account_selection_required"};
  return kAuth.count(error) ? 401 : 400;
}

Result<CallbackResponse> parseCallback(const core::Params& params, std::size_t maxCodeBytes) {
  std::set<std::string_view> seen;
  for (const auto& [k, v] : params) {
    // RFC 6749 s3.1: parameters MUST NOT be included more than once. A repeated state or
    // code is how parameter-pollution attacks smuggle a second value past a check.
    if (!seen.insert(k).second) return Errc::kBadCallbackParams;
  }
  auto error = core::findParam(params, "error");
  auto state = core::findParam(params, "state");
  if (error) {
    ProviderError e;
    e.error = cleanText(*error);
    e.error_description = cleanText(core::findParam(params, "error_description").value_or(""));
    e.error_uri = cleanText(core::findParam(params, "error_uri").value_or(""));
    if (state && state->size() <= kMaxStateBytes) e.state = *state;
    e.http_status = providerErrorStatus(e.error);
    return CallbackResponse(std::move(e));
  }
  if (!state || state->empty()) return Errc::kMissingState;
  if (state->size() > kMaxStateBytes) return Errc::kStateMismatch;
  auto code = core::findParam(params, "code");
  if (!code || code->empty()) return Errc::kMissingCode;
  if (code->size() > maxCodeBytes) return Errc::kCodeTooLarge;
  // RFC 6749 Appendix A.11: code = 1*VSCHAR.
  if (!isVisibleAscii(*code)) return Errc::kBadCallbackParams;
  AuthorizationCode c;
  c.code = core::Secret(std::move(*code));
  c.state = std::move(*state);
  c.iss = core::findParam(params, "iss");
  return CallbackResponse(std::move(c));
}

CallbackExpectations callbackExpectations(const ProviderMetadata& m,
                                          const RelyingPartyOptions& rp) {
  CallbackExpectations e;
  e.issuer = m.issuer;
  e.iss_required = m.authorization_response_iss_parameter_supported;
  e.transaction_ttl = rp.transaction_ttl;
  return e;
}

Result<void> checkState(std::string_view presented, const LoginTransaction& txn) {
  // RFC 6749 s10.12 (CSRF): the state must be the one bound to this browser's
  // transaction. Constant time so the comparison leaks nothing about the stored value.
  if (presented.empty() || txn.state.empty()) return Errc::kMissingState;
  if (!core::constantTimeEqual(presented, txn.state.reveal())) return Errc::kStateMismatch;
  return {};
}

Result<void> checkTransactionFresh(const LoginTransaction& txn, const core::Clock& clock,
                                   std::chrono::seconds ttl) {
  if (isTransactionExpired(txn, clock, ttl)) return Errc::kTransactionExpired;
  return {};
}

Result<void> checkIssuerParam(const std::optional<std::string>& iss,
                              const CallbackExpectations& expect) {
  if (!iss) {
    // RFC 9207 s2.4: a client that knows the AS supports iss MUST reject responses
    // without it (mix-up defence).
    if (expect.iss_required) return Errc::kMissingIssuerParam;
    return {};
  }
  if (*iss != expect.issuer) return Errc::kIssuerParamMismatch;
  return {};
}

Result<void> checkCallback(const AuthorizationCode& response, const LoginTransaction& txn,
                           const CallbackExpectations& expect, const core::Clock& clock) {
  if (auto r = checkState(response.state, txn); !r) return r;
  if (auto r = checkTransactionFresh(txn, clock, expect.transaction_ttl); !r) return r;
  if (auto r = checkIssuerParam(response.iss, expect); !r) return r;
  return {};
}

}  // namespace authgate::oidc
