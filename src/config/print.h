// Settings as YAML for `authgate check-config --print` and debug dumps. Secrets
// (client_secret, encryption keys, passwords inside URLs such as a redis:// store)
// print as "[redacted]".
#pragma once

#include <string>
#include <string_view>

#include "config/config.h"

namespace authgate::config {

std::string printConfig(const Config& config);

// "redis://user:pass@host/0" -> "redis://user:[redacted]@host/0"; the value of a query
// parameter `password` or `*_password` (postgres://h/db?password=...,
// redis-sentinel://...?sentinel_password=...) likewise; other text unchanged.
std::string redactUrlPassword(std::string_view url);

}  // namespace authgate::config
