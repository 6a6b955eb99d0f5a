// The table of every settings key: its dotted name (section.key, as in the YAML file)
// and where its value lives in Config. Loading, environment mapping and printing all
// walk this one table, so a key added here is read, overridable and printed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/config.h"

namespace authgate::config {

using FieldRef = std::variant<std::string*, core::Secret*, bool*, int*, std::size_t*, std::int64_t*,
                              Duration*, std::vector<std::string>*, std::vector<core::Secret>*,
                              std::map<std::string, std::string>*,
                              std::map<std::string, std::vector<std::string>>*>;

struct Field {
  std::string_view key;  // "provider.client_id"
  FieldRef (*ref)(Config&);
};

// Every key, in the order sections and keys are documented and printed.
std::span<const Field> fields();
const Field* findField(std::string_view key);

// The section names, in order: server, provider, session, logout, access, upstream, api.
std::span<const std::string_view> sections();

// "provider.client_secret" -> "AUTHGATE_PROVIDER_CLIENT_SECRET".
std::string envName(std::string_view key);

}  // namespace authgate::config
