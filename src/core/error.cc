#include "authgate/core/error.h"

#include <map>
#include <mutex>

#include "authgate/core/errc.h"

namespace authgate::core {
namespace {

struct Registry {
  std::mutex mu;
  std::map<const boost::system::error_category*, std::string_view (*)(int)> names;
};

Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace

void registerErrorNames(const boost::system::error_category& cat, std::string_view (*nameOf)(int)) {
  auto& r = registry();
  std::lock_guard lock(r.mu);
  r.names[&cat] = nameOf;
}

std::string errorName(const error_code& ec) {
  if (!ec) return "ok";
  {
    auto& r = registry();
    std::lock_guard lock(r.mu);
    if (auto it = r.names.find(&ec.category()); it != r.names.end()) {
      return std::string(it->second(ec.value()));
    }
  }
  return std::string(ec.category().name()) + ":" + std::to_string(ec.value());
}

std::string_view ErrcTraits<Errc>::name(Errc e) {
  switch (e) {
    case Errc::kOk:
      return "ok";
    case Errc::kBadBase64url:
      return "bad_base64url";
    case Errc::kBadPercentEncoding:
      return "bad_percent_encoding";
    case Errc::kBadFormBody:
      return "bad_form_body";
    case Errc::kTooLarge:
      return "too_large";
    case Errc::kRandomFailure:
      return "random_failure";
    case Errc::kCryptoFailure:
      return "crypto_failure";
    case Errc::kDecryptFailure:
      return "decrypt_failure";
  }
  return "unknown";
}

std::string_view ErrcTraits<Errc>::message(Errc e) {
  switch (e) {
    case Errc::kOk:
      return "ok";
    case Errc::kBadBase64url:
      return "value is not strict base64url (no padding, no whitespace)";
    case Errc::kBadPercentEncoding:
      return "invalid percent-encoding";
    case Errc::kBadFormBody:
      return "malformed application/x-www-form-urlencoded body";
    case Errc::kTooLarge:
      return "value exceeds the size limit";
    case Errc::kRandomFailure:
      return "the system random generator failed";
    case Errc::kCryptoFailure:
      return "a cryptographic operation failed";
    case Errc::kDecryptFailure:
      return "ciphertext could not be authenticated with any configured key";
  }
  return "unknown error";
}

}  // namespace authgate::core
