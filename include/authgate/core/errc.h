// Error codes of the core module (codecs, randomness, crypto helpers).
#pragma once

#include "authgate/core/error.h"

namespace authgate::core {

enum class Errc {
  kOk = 0,
  kBadBase64url,  // not strict base64url (padding, whitespace, bad char, non-canonical)
  kBadPercentEncoding,
  kBadFormBody,
  kTooLarge,
  kRandomFailure,
  kCryptoFailure,
  kDecryptFailure,  // AEAD tag mismatch or no key fits
};

template <>
struct ErrcTraits<Errc> {
  static constexpr const char* kCategory = "authgate.core";
  static std::string_view name(Errc e);
  static std::string_view message(Errc e);
};

}  // namespace authgate::core

AUTHGATE_ERRC(authgate::core)
