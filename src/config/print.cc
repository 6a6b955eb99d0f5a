#include "config/print.h"

#include <yaml-cpp/yaml.h>

#include <type_traits>

#include "config/duration.h"
#include "config/field.h"

namespace authgate::config {

namespace {

// user:PASSWORD@ in the authority.
std::string redactUserinfo(std::string_view url) {
  const auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  const auto authorityStart = scheme + 3;
  // The Redis store's parsers (session/redis/redis_uri.cc) take the last '@' as the end
  // of the credentials, so a password may hold '/', '?' or '#': redis:// up to the end,
  // redis-sentinel:// up to its query.
  const auto name = url.substr(0, scheme);
  const auto authorityEnd = name == "redis" ? url.size()
                            : name == "redis-sentinel"
                                ? std::min(url.find('?', authorityStart), url.size())
                                : std::min(url.find_first_of("/?#", authorityStart), url.size());
  const auto at = url.substr(0, authorityEnd).rfind('@');
  if (at == std::string_view::npos || at < authorityStart) return std::string(url);
  const auto colon = url.substr(0, at).find(':', authorityStart);
  if (colon == std::string_view::npos) return std::string(url);
  return std::string(url.substr(0, colon + 1)) + std::string(core::Secret::kRedacted) +
         std::string(url.substr(at));
}

}  // namespace

std::string redactUrlPassword(std::string_view url) {
  std::string out = redactUserinfo(url);
  // Passwords as query parameters: libpq's postgres://h/db?password=..., and any
  // NAME_password=... such as redis-sentinel://...?sentinel_password=...
  const auto query = out.find('?');
  if (out.find("://") == std::string::npos || query == std::string::npos) return out;
  for (auto at = query; at != std::string::npos && at < out.size(); at = out.find('&', at + 1)) {
    const auto eq = out.find('=', at + 1);
    if (eq == std::string::npos) break;
    const std::string_view key = std::string_view(out).substr(at + 1, eq - at - 1);
    if (key.find('&') != std::string_view::npos) continue;  // "&flag&k=v": not this one
    if (key != "password" && !key.ends_with("_password")) continue;
    const auto value = eq + 1;
    // Up to the next '&' only: a '#' may be part of the password.
    const auto end = std::min(out.find('&', value), out.size());
    out.replace(value, end - value, core::Secret::kRedacted);
  }
  return out;
}

namespace {

template <class T, class U>
inline constexpr bool kIs = std::is_same_v<T, U>;

void emitValue(YAML::Emitter& out, FieldRef ref) {
  std::visit(
      [&](auto* p) {
        using T = std::remove_pointer_t<decltype(p)>;
        if constexpr (kIs<T, std::string>) {
          out << redactUrlPassword(*p);
        } else if constexpr (kIs<T, core::Secret>) {
          out << (p->empty() ? std::string() : std::string(core::Secret::kRedacted));
        } else if constexpr (kIs<T, bool>) {
          out << (*p ? "true" : "false");
        } else if constexpr (kIs<T, Duration>) {
          out << formatDuration(*p);
        } else if constexpr (kIs<T, int> || kIs<T, std::size_t> || kIs<T, std::int64_t>) {
          out << std::to_string(*p);
        } else if constexpr (kIs<T, std::vector<std::string>>) {
          out << YAML::Flow << YAML::BeginSeq;
          for (const auto& v : *p) out << redactUrlPassword(v);
          out << YAML::EndSeq;
        } else if constexpr (kIs<T, std::vector<core::Secret>>) {
          out << YAML::Flow << YAML::BeginSeq;
          for (std::size_t i = 0; i < p->size(); ++i) out << std::string(core::Secret::kRedacted);
          out << YAML::EndSeq;
        } else if constexpr (kIs<T, std::map<std::string, std::string>>) {
          out << YAML::Flow << YAML::BeginMap;
          for (const auto& [k, v] : *p) out << YAML::Key << k << YAML::Value << v;
          out << YAML::EndMap;
        } else {
          out << YAML::Flow << YAML::BeginMap;
          for (const auto& [k, values] : *p) {
            out << YAML::Key << k << YAML::Value << YAML::Flow << values;
          }
          out << YAML::EndMap;
        }
      },
      ref);
}

}  // namespace

std::string printConfig(const Config& config) {
  // The field table hands out mutable references; printing works on a copy.
  Config copy = config;
  YAML::Emitter out;
  out << YAML::BeginMap;
  for (const auto& section : sections()) {
    out << YAML::Key << std::string(section) << YAML::Value << YAML::BeginMap;
    for (const auto& f : fields()) {
      const auto dot = f.key.find('.');
      if (f.key.substr(0, dot) != section) continue;
      out << YAML::Key << std::string(f.key.substr(dot + 1)) << YAML::Value;
      emitValue(out, f.ref(copy));
    }
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  std::string text = "# authgate settings";
  text += config.source.empty() ? " (defaults + environment)" : " from " + config.source;
  text += "; secrets redacted\n";
  text += out.c_str();
  text += "\n";
  return text;
}

}  // namespace authgate::config
