// A string that must never reach a log, an error page or a URL authgate builds.
// It has no implicit conversion and prints as "[redacted]"; reading it takes an
// explicit reveal().
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <utility>

#include "authgate/core/crypto.h"

namespace authgate::core {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}

  const std::string& reveal() const { return value_; }
  bool empty() const { return value_.empty(); }
  // Constant-time equality against a presented value.
  bool matches(std::string_view presented) const { return constantTimeEqual(value_, presented); }

  static constexpr std::string_view kRedacted = "[redacted]";

  friend std::ostream& operator<<(std::ostream& os, const Secret&) { return os << kRedacted; }
  friend bool operator==(const Secret& a, const Secret& b) {
    return constantTimeEqual(a.value_, b.value_);
  }

 private:
  std::string value_;
};

}  // namespace authgate::core
