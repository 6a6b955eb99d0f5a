// Randomness comes in through an interface; production uses OpenSSL's CSPRNG.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace authgate::core {

class Random {
 public:
  virtual ~Random() = default;
  // Fills `out` with cryptographically secure random bytes. Aborts the process if the
  // generator fails: continuing with predictable state or session ids is never safe.
  virtual void fill(std::span<uint8_t> out) = 0;

  std::string bytes(size_t n);
  // n random bytes, base64url encoded (e.g. 32 -> 256-bit opaque id).
  std::string token(size_t n);
};

class OpenSslRandom final : public Random {
 public:
  void fill(std::span<uint8_t> out) override;
  static OpenSslRandom& instance();
};

}  // namespace authgate::core
