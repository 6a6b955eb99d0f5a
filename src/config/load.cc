#include "config/load.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <set>
#include <sstream>
#include <system_error>
#include <type_traits>

#include "config/duration.h"
#include "config/field.h"
#include "config/routes.h"
#include "config/scalar.h"
#include "config/yaml_value.h"

namespace authgate::config {
namespace {

std::string durationReason(const error_code& ec, std::string_view text) {
  if (ec == Errc::kEmptyValue) return "empty duration (use 90s, 15m, 24h, 7d)";
  if (ec == Errc::kNegativeDuration)
    return "negative duration " + inQuotes(text) + " is not allowed";
  if (ec == Errc::kDurationTooLarge) {
    return "duration " + inQuotes(text) + " is too large (at most " + formatDuration(kMaxDuration) +
           ")";
  }
  return "invalid duration " + inQuotes(text) + " (use 90s, 15m, 24h, 7d)";
}

template <class T, class U>
inline constexpr bool kIs = std::is_same_v<T, U>;

// The few words an operator reads in "expected ..." reasons.
template <class T>
std::string_view kindName() {
  if constexpr (kIs<T, bool>) return "true or false";
  if constexpr (kIs<T, int>) return "an integer";
  if constexpr (kIs<T, std::size_t>) return "a non-negative integer";
  if constexpr (kIs<T, std::int64_t>) return "-1, seconds or a duration like 5m";
  if constexpr (kIs<T, Duration>) return "a duration like 90s, 15m, 24h, 7d";
  if constexpr (kIs<T, std::vector<std::string>> || kIs<T, std::vector<core::Secret>>) {
    return "a list like [a, b]";
  }
  if constexpr (kIs<T, std::map<std::string, std::string>>) return "a mapping like {key: value}";
  if constexpr (kIs<T, std::map<std::string, std::vector<std::string>>>) {
    return "a mapping like {claim: [value, ...]}";
  }
  return "a string";
}

std::string_view nodeKind(const YAML::Node& node) {
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a mapping";
  if (node.IsNull()) return "nothing";
  return "a scalar";
}

std::string assignNode(FieldRef ref, const YAML::Node& node);

// Sets one field from text (a YAML scalar or an environment variable). `bareSeconds`
// lets durations be plain integers (OpenMetadata's variables). Returns "" or a reason.
std::string assignText(FieldRef ref, std::string_view text, bool bareSeconds) {
  return std::visit(
      [&](auto* p) -> std::string {
        using T = std::remove_pointer_t<decltype(p)>;
        if constexpr (kIs<T, std::string>) {
          *p = std::string(text);
        } else if constexpr (kIs<T, core::Secret>) {
          *p = core::Secret(std::string(text));
        } else if constexpr (kIs<T, bool>) {
          auto b = parseBoolean(trim(text));
          if (!b) return "expected true or false, got " + inQuotes(text);
          *p = *b;
        } else if constexpr (kIs<T, int>) {
          auto v = parseInteger(trim(text));
          if (!v || *v < INT_MIN || *v > INT_MAX)
            return "expected an integer, got " + inQuotes(text);
          *p = static_cast<int>(*v);
        } else if constexpr (kIs<T, std::size_t>) {
          auto v = parseInteger(trim(text));
          if (!v || *v < 0) return "expected a non-negative integer, got " + inQuotes(text);
          *p = static_cast<std::size_t>(*v);
        } else if constexpr (kIs<T, std::int64_t>) {
          // provider.max_age: seconds on the wire (OIDC Core s3.1.2.1); -1 means not sent.
          const auto t = trim(text);
          if (auto v = parseInteger(t)) {
            if (*v < -1)
              return "expected -1 (not sent), seconds or a duration, got " + inQuotes(text);
            *p = *v;
          } else {
            auto d = parseDuration(t);
            if (!d) return durationReason(d.error(), text);
            *p = d->count();
          }
        } else if constexpr (kIs<T, Duration>) {
          const auto t = trim(text);
          auto d = bareSeconds ? parseDurationOrSeconds(t) : parseDuration(t);
          if (!d) return durationReason(d.error(), text);
          *p = *d;
        } else if constexpr (kIs<T, std::vector<std::string>>) {
          *p = splitList(text);
        } else if constexpr (kIs<T, std::vector<core::Secret>>) {
          p->clear();
          for (auto& item : splitList(text)) p->emplace_back(std::move(item));
        } else {
          // Maps from a variable are YAML flow mappings: {prompt: login, ui_locales: de}.
          const auto t = trim(text);
          if (t.empty()) {
            p->clear();
            return "";
          }
          YAML::Node node;
          try {
            node = YAML::Load(std::string(t));
          } catch (const YAML::Exception&) {
            return std::string("expected ") + std::string(kindName<T>()) + ", got " +
                   inQuotes(text);
          }
          if (!node.IsMap()) {
            return std::string("expected ") + std::string(kindName<T>()) + ", got " +
                   inQuotes(text);
          }
          return assignNode(ref, node);
        }
        return "";
      },
      ref);
}

// Sets one field from a YAML node of the file, checking its type.
std::string assignNode(FieldRef ref, const YAML::Node& node) {
  return std::visit(
      [&](auto* p) -> std::string {
        using T = std::remove_pointer_t<decltype(p)>;
        const auto expected = [&] {
          return "expected " + std::string(kindName<T>()) + ", got " + std::string(nodeKind(node));
        };
        if constexpr (kIs<T, std::vector<std::string>> || kIs<T, std::vector<core::Secret>>) {
          if (node.IsNull()) {
            p->clear();
            return "";
          }
          if (!node.IsSequence()) return expected();
          T items;
          for (const auto& item : node) {
            if (!item.IsScalar())
              return "every item must be a string, got " + std::string(nodeKind(item));
            items.emplace_back(item.Scalar());
          }
          *p = std::move(items);
        } else if constexpr (kIs<T, std::map<std::string, std::string>> ||
                             kIs<T, std::map<std::string, std::vector<std::string>>>) {
          if (node.IsNull()) {
            p->clear();
            return "";
          }
          if (!node.IsMap()) return expected();
          T map;
          for (const auto& kv : node) {
            if (!kv.first.IsScalar()) return "every key must be a string";
            const auto& name = kv.first.Scalar();
            const auto& value = kv.second;
            if constexpr (kIs<T, std::map<std::string, std::string>>) {
              if (value.IsNull()) {
                map[name] = "";
              } else if (value.IsScalar()) {
                map[name] = value.Scalar();
              } else {
                return name + ": expected a string, got " + std::string(nodeKind(value));
              }
            } else {
              auto& values = map[name];
              if (value.IsScalar()) {
                values.push_back(value.Scalar());
              } else if (value.IsSequence()) {
                for (const auto& item : value) {
                  if (!item.IsScalar()) return name + ": every value must be a string";
                  values.push_back(item.Scalar());
                }
              } else {
                return name + ": expected a string or a list, got " + std::string(nodeKind(value));
              }
            }
          }
          *p = std::move(map);
        } else {
          if (node.IsNull()) return assignText(ref, "", false);
          if (!node.IsScalar()) return expected();
          return assignText(ref, node.Scalar(), false);
        }
        return "";
      },
      ref);
}

std::size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// " (did you mean X?)" for the closest candidate within a small typo distance.
std::string suggestion(std::string_view name, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t bestDistance = 3;
  const std::string lowered = toLower(name);
  for (const auto& c : candidates) {
    // The distance is at least the difference in length: a candidate that far off in
    // length cannot be closer, so it is not compared (a long unknown name costs one
    // subtraction per candidate, not a quadratic comparison each).
    const std::size_t gap =
        lowered.size() > c.size() ? lowered.size() - c.size() : c.size() - lowered.size();
    if (gap >= bestDistance) continue;
    const auto d = editDistance(lowered, toLower(c));
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return best.empty() ? "" : " (did you mean " + best + "?)";
}

// Settings that name the same thing two ways; one layer setting both is a problem,
// a higher layer setting one replaces both of a lower layer.
constexpr std::pair<std::string_view, std::string_view> kExclusive[] = {
    {"provider.client_secret", "provider.client_secret_file"},
    {"session.encryption_keys", "session.encryption_key_file"},
};

// AUTHENTICATION_AUTHORITY is written without the trailing slash, but Auth0's issuer
// ends with '/' and `iss` is compared exactly (OIDC Core s3.1.3.7 step 2).
std::string issuerFromAuthority(std::string_view authority, std::string_view type) {
  std::string issuer(trim(authority));
  const auto hostStart = issuer.find("://");
  const auto host = hostStart == std::string::npos ? issuer : issuer.substr(hostStart + 3);
  const bool auth0Host = toLower(host).find(".auth0.com") != std::string::npos;
  if ((type == "auth0" || auth0Host) && !issuer.empty() && issuer.back() != '/') issuer += '/';
  return issuer;
}

// AUTH0_DOMAIN: "TENANT.auth0.com", with or without scheme and trailing slash.
std::optional<std::string> issuerFromAuth0Domain(std::string_view value, std::string& reason) {
  auto v = trim(value);
  std::string scheme = "https";
  if (const auto sep = v.find("://"); sep != std::string_view::npos) {
    scheme = toLower(v.substr(0, sep));
    if (scheme != "https" && scheme != "http") {
      reason = "expected a host name like TENANT.auth0.com, got " + inQuotes(value);
      return std::nullopt;
    }
    v.remove_prefix(sep + 3);
  }
  while (!v.empty() && v.back() == '/') v.remove_suffix(1);
  const bool bad = v.empty() || v.find_first_of("/?#@ \t") != std::string_view::npos;
  if (bad) {
    reason = "expected a host name like TENANT.auth0.com, got " + inQuotes(value);
    return std::nullopt;
  }
  return scheme + "://" + toLower(v) + "/";
}

std::optional<std::string> originOf(std::string_view url) {
  const auto sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0) return std::nullopt;
  const auto end = url.find_first_of("/?#", sep + 3);
  auto origin = url.substr(0, end);
  if (origin.size() == sep + 3) return std::nullopt;
  return toLower(origin);
}

class Loader {
 public:
  explicit Loader(const Environment& env) : env_(env) {}

  LoadResult run(std::optional<std::string_view> yaml, std::string source) {
    config_.source = source;
    if (yaml) {
      beginLayer();
      applyYaml(*yaml, source.empty() ? "config" : source);
      endLayer();
    }
    beginLayer();
    applyOpenMetadata();
    endLayer();
    beginLayer();
    applyAuth0();
    endLayer();
    beginLayer();
    applyAuthgate();
    endLayer();
    readSecretFiles();
    finish();
    return {std::move(config_), std::move(problems_)};
  }

  void problem(std::string key, std::string reason) {
    problems_.push_back({std::move(key), std::move(reason)});
  }

 private:
  void beginLayer() { layer_.clear(); }

  void endLayer() {
    for (const auto& [a, b] : kExclusive) {
      const bool hasA = setInLayer(a), hasB = setInLayer(b);
      if (hasA && hasB) {
        problem(std::string(a), "set together with " + std::string(b) + "; use only one");
      } else if (hasA) {
        reset(b);
      } else if (hasB) {
        reset(a);
      }
    }
  }

  // Set by this layer to something: an empty value claims nothing.
  bool setInLayer(std::string_view key) {
    if (!layer_.contains(key)) return false;
    return std::visit(
        [](auto* p) {
          if constexpr (requires { p->empty(); }) {
            return !p->empty();
          } else {
            return true;
          }
        },
        findField(key)->ref(config_));
  }

  void reset(std::string_view key) {
    const Field* f = findField(key);
    Config defaults;
    auto src = f->ref(defaults);
    std::visit([&](auto* p) { *p = *std::get<decltype(p)>(src); }, f->ref(config_));
    origin_.erase(std::string(key));
  }

  // `origin` is "" for the file, else the variable's name.
  void mark(std::string_view key, std::string_view origin) {
    layer_.insert(std::string(key));
    origin_[std::string(key)] = std::string(origin);
  }

  // Sets `key` from a variable's text; a bad value is reported under the variable's name.
  void setFromVariable(std::string_view key, std::string_view text, const std::string& variable,
                       bool bareSeconds = false) {
    const Field* f = findField(key);
    auto reason = assignText(f->ref(config_), text, bareSeconds);
    if (!reason.empty()) {
      problem(variable, reason);
      return;
    }
    mark(key, variable);
  }

  // A variable's value when it is set and not blank. OpenMetadata's env files leave
  // unused variables empty, which means "default", never "set to empty".
  std::optional<std::string> variable(const std::string& name) const {
    auto it = env_.find(name);
    if (it == env_.end() || trim(it->second).empty()) return std::nullopt;
    return std::string(trim(it->second));
  }

  void applyYaml(std::string_view text, const std::string& where) {
    YAML::Node root;
    try {
      root = YAML::Load(std::string(text));
    } catch (const YAML::ParserException& e) {
      fileBroken_ = true;
      problem(where, "YAML syntax error at line " + std::to_string(e.mark.line + 1) + ", column " +
                         std::to_string(e.mark.column + 1) + ": " + e.msg);
      return;
    }
    if (root.IsNull()) return;
    if (!root.IsMap()) {
      fileBroken_ = true;
      problem(where, "expected a mapping of sections (server, provider, session, ...)");
      return;
    }
    std::vector<std::string> sectionNames(sections().begin(), sections().end());
    std::set<std::string> seen;
    for (const auto& section : root) {
      const std::string name = section.first.IsScalar() ? section.first.Scalar() : "?";
      if (name == "routes") {  // a list, not a section of keys (routes.cc)
        parseRoutes(section.second, config_.routes, problems_);
        continue;
      }
      if (std::find(sectionNames.begin(), sectionNames.end(), name) == sectionNames.end()) {
        problem(name, "unknown section" + suggestion(name, sectionNames));
        continue;
      }
      if (section.second.IsNull()) continue;
      if (!section.second.IsMap()) {
        problem(name, "expected a mapping of keys, got " + std::string(nodeKind(section.second)));
        continue;
      }
      std::vector<std::string> keys;
      for (const auto& f : fields()) {
        if (f.key.substr(0, f.key.find('.')) == name) keys.emplace_back(f.key);
      }
      for (const auto& entry : section.second) {
        const std::string key =
            name + "." + (entry.first.IsScalar() ? entry.first.Scalar() : std::string("?"));
        const Field* f = findField(key);
        if (f == nullptr) {
          problem(key, "unknown key" + suggestion(key, keys));
          continue;
        }
        if (!seen.insert(key).second) {
          problem(key, "set more than once in the file");
          continue;
        }
        auto reason = assignNode(f->ref(config_), entry.second);
        if (!reason.empty()) {
          problem(key, reason);
          continue;
        }
        mark(key, "");
      }
    }
  }

  // OpenMetadata's names (shared/reference/openmetadata.md), so its Auth0 env file works
  // unchanged.
  void applyOpenMetadata() {
    for (const std::string name : {"AUTHENTICATION_PROVIDER", "OIDC_TYPE"}) {
      if (auto v = variable(name)) setFromVariable("provider.type", toLower(*v), name);
    }
    if (auto v = variable("AUTHENTICATION_CLIENT_TYPE")) {
      const auto type = toLower(*v);
      if (type == "public") {
        problem("AUTHENTICATION_CLIENT_TYPE",
                "public (browser-only) clients are not supported: authgate is a confidential "
                "client that exchanges the code with OIDC_CLIENT_SECRET and keeps tokens on the "
                "server; set confidential");
      } else if (type != "confidential") {
        problem("AUTHENTICATION_CLIENT_TYPE", "expected confidential, got " + inQuotes(*v));
      }
    }
    if (auto v = variable("AUTHENTICATION_AUTHORITY")) {
      setFromVariable("provider.issuer", issuerFromAuthority(*v, config_.provider.type),
                      "AUTHENTICATION_AUTHORITY");
    }
    auto authClientId = variable("AUTHENTICATION_CLIENT_ID");
    auto oidcClientId = variable("OIDC_CLIENT_ID");
    if (authClientId && oidcClientId && *authClientId != *oidcClientId) {
      problem("AUTHENTICATION_CLIENT_ID",
              "differs from OIDC_CLIENT_ID; a confidential client has one client id");
    }
    if (authClientId)
      setFromVariable("provider.client_id", *authClientId, "AUTHENTICATION_CLIENT_ID");
    if (oidcClientId) setFromVariable("provider.client_id", *oidcClientId, "OIDC_CLIENT_ID");
    // The UI's callback: where OpenMetadata's login sends the browser back to
    // (redirectUri), so its origin is an allowed redirect target.
    if (auto v = variable("AUTHENTICATION_CALLBACK_URL")) {
      if (auto origin = originOf(*v)) {
        auto& origins = config_.server.allowed_redirect_origins;
        if (std::find(origins.begin(), origins.end(), *origin) == origins.end()) {
          origins.push_back(*origin);
        }
        mark("server.allowed_redirect_origins", "AUTHENTICATION_CALLBACK_URL");
      } else {
        problem("AUTHENTICATION_CALLBACK_URL", "expected an absolute URL, got " + inQuotes(*v));
      }
    }
    const std::pair<const char*, const char*> direct[] = {
        {"AUTHENTICATION_PUBLIC_KEYS", "provider.jwks_urls"},
        {"AUTHENTICATION_JWT_PRINCIPAL_CLAIMS", "access.jwt_principal_claims"},
        {"OIDC_CLIENT_SECRET", "provider.client_secret"},
        {"OIDC_DISCOVERY_URI", "provider.discovery_url"},
        {"OIDC_CALLBACK", "provider.callback_url"},
        {"OIDC_SERVER_URL", "server.public_url"},
        {"OIDC_PREFERRED_JWS", "provider.id_token_algs"},
        {"OIDC_CLIENT_AUTH_METHOD", "provider.client_auth_method"},
        {"OIDC_PROMPT_TYPE", "provider.prompt"},
        {"OIDC_MAX_AGE", "provider.max_age"},
        {"OIDC_SESSION_EXPIRY", "session.absolute_timeout"},
        {"OIDC_MAX_CLOCK_SKEW", "provider.clock_skew"},
        {"OIDC_TENANT", "provider.tenant"},
        {"OIDC_CUSTOM_PARAMS", "provider.extra_authorize_params"},
        {"AUTHORIZER_ADMIN_PRINCIPALS", "access.admin_principals"},
    };
    for (const auto& [name, key] : direct) {
      if (auto v = variable(name)) setFromVariable(key, *v, name, /*bareSeconds=*/true);
    }
    // OIDC_SCOPE is space separated, as the scope parameter itself (RFC 6749 s3.3).
    if (auto v = variable("OIDC_SCOPE")) {
      std::vector<std::string> scopes;
      std::istringstream in(*v);
      for (std::string s; in >> s;) scopes.push_back(s);
      config_.provider.scopes = scopes;
      mark("provider.scopes", "OIDC_SCOPE");
    }
    // authgate always sends a nonce and always uses PKCE S256 (RFC 9700 s2.1.1), so
    // these are accepted for compatibility and ignored; OpenMetadata's default
    // OIDC_DISABLE_PKCE=true must not turn PKCE off.
    for (const std::string name : {"OIDC_USE_NONCE", "OIDC_DISABLE_PKCE"}) {
      if (auto v = variable(name); v && !parseBoolean(*v)) {
        problem(name, "expected true or false, got " + inQuotes(*v));
      }
    }
    if (auto v = variable("OIDC_RESPONSE_TYPE"); v && *v != "code") {
      problem("OIDC_RESPONSE_TYPE",
              "only the Authorization Code Flow is supported (code), got " + inQuotes(*v));
    }
    applyOpenMetadataDomains();
  }

  // AUTHORIZER_PRINCIPAL_DOMAIN (when enforced) and AUTHORIZER_ALLOWED_REGISTRATION_DOMAIN
  // both restrict who may sign in; a user must pass both, so the result is their
  // intersection.
  void applyOpenMetadataDomains() {
    std::optional<std::vector<std::string>> allowed;
    std::string origin;
    bool enforce = false;
    if (auto v = variable("AUTHORIZER_ENFORCE_PRINCIPAL_DOMAIN")) {
      auto b = parseBoolean(*v);
      if (!b) {
        problem("AUTHORIZER_ENFORCE_PRINCIPAL_DOMAIN",
                "expected true or false, got " + inQuotes(*v));
      } else {
        enforce = *b;
      }
    }
    if (enforce) {
      if (auto domain = variable("AUTHORIZER_PRINCIPAL_DOMAIN")) {
        allowed = std::vector<std::string>{toLower(*domain)};
        origin = "AUTHORIZER_PRINCIPAL_DOMAIN";
      } else {
        problem("AUTHORIZER_ENFORCE_PRINCIPAL_DOMAIN",
                "is true but AUTHORIZER_PRINCIPAL_DOMAIN is empty");
      }
    }
    if (auto v = variable("AUTHORIZER_ALLOWED_REGISTRATION_DOMAIN")) {
      std::vector<std::string> domains;
      bool all = false;
      for (const auto& d : splitList(*v)) {
        if (toLower(d) == "all") all = true;
        domains.push_back(toLower(d));
      }
      if (!all && !domains.empty()) {
        if (allowed) {
          std::vector<std::string> both;
          for (const auto& d : *allowed) {
            if (std::find(domains.begin(), domains.end(), d) != domains.end()) both.push_back(d);
          }
          if (both.empty()) {
            problem("AUTHORIZER_ALLOWED_REGISTRATION_DOMAIN",
                    "does not include the enforced AUTHORIZER_PRINCIPAL_DOMAIN, so nobody could "
                    "sign in");
          }
          allowed = both;
        } else {
          allowed = domains;
        }
        origin = "AUTHORIZER_ALLOWED_REGISTRATION_DOMAIN";
      }
    }
    if (allowed && !allowed->empty()) {
      config_.access.allowed_email_domains = *allowed;
      mark("access.allowed_email_domains", origin);
    }
  }

  void applyAuth0() {
    if (auto v = variable("AUTH0_DOMAIN")) {
      std::string reason;
      if (auto issuer = issuerFromAuth0Domain(*v, reason)) {
        config_.provider.issuer = *issuer;
        mark("provider.issuer", "AUTH0_DOMAIN");
        if (config_.provider.type.empty()) config_.provider.type = "auth0";
      } else {
        problem("AUTH0_DOMAIN", reason);
      }
    }
    const std::pair<const char*, const char*> direct[] = {
        {"AUTH0_CLIENT_ID", "provider.client_id"},
        {"AUTH0_CLIENT_SECRET", "provider.client_secret"},
        {"AUTH0_AUDIENCE", "provider.audience"},
    };
    for (const auto& [name, key] : direct) {
      if (auto v = variable(name)) setFromVariable(key, *v, name);
    }
  }

  // AUTHGATE_<SECTION>_<KEY> for every key. Unlike the other families these are taken
  // as set even when empty, so a variable can clear a file's value.
  void applyAuthgate() {
    std::vector<std::string> names;
    for (const auto& f : fields()) {
      const auto name = envName(f.key);
      names.push_back(name);
      if (auto it = env_.find(name); it != env_.end()) setFromVariable(f.key, it->second, name);
    }
    // A variable of a known section that matches no key is a typo, not something to
    // ignore silently. Other AUTHGATE_* names (scripts' own) are left alone.
    for (const auto& [name, value] : env_) {
      if (name.rfind("AUTHGATE_", 0) != 0) continue;
      if (std::find(names.begin(), names.end(), name) != names.end()) continue;
      for (const auto& section : sections()) {
        if (name.rfind(envName(section) + "_", 0) == 0) {
          problem(name, "unknown setting" + suggestion(name, names));
          break;
        }
      }
    }
  }

  // provider.client_secret_file: the secret is the file's content without one trailing
  // newline; provider.client_private_key_file: the PEM text. The reason names the file,
  // never its content.
  void readSecretFiles() {
    if (auto s = readSecretFile("provider.client_secret_file", config_.provider.client_secret_file,
                                true)) {
      config_.provider.client_secret = std::move(*s);
    }
    if (auto s = readSecretFile("provider.client_private_key_file",
                                config_.provider.client_private_key_file, false)) {
      config_.provider.client_private_key = std::move(*s);
    }
    if (auto s = readSecretFile("provider.request_object_signing_key_file",
                                config_.provider.request_object_signing_key_file, false)) {
      config_.provider.request_object_signing_key = std::move(*s);
    }
    if (auto s = readSecretFile("provider.tls_client_certificate_file",
                                config_.provider.tls_client_certificate_file, false)) {
      config_.provider.tls_client_certificate = s->reveal();
    }
    if (auto s = readSecretFile("provider.tls_client_key_file",
                                config_.provider.tls_client_key_file, false)) {
      config_.provider.tls_client_key = std::move(*s);
    }
    if (auto s = readSecretFile("provider.dpop_key_file", config_.provider.dpop_key_file, false)) {
      config_.provider.dpop_key = std::move(*s);
    }
  }

  std::optional<core::Secret> readSecretFile(const std::string& key, const std::string& path,
                                             bool dropTrailingNewline) {
    if (path.empty()) return std::nullopt;
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      problem(key, "cannot read " + inQuotes(path) + ": is a directory");
      return std::nullopt;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      problem(key, "cannot read " + inQuotes(path) + ": " + std::generic_category().message(errno));
      return std::nullopt;
    }
    constexpr std::size_t kMaxSecretFile = 64 * 1024;
    std::string content(kMaxSecretFile + 1, '\0');
    in.read(content.data(), static_cast<std::streamsize>(content.size()));
    if (in.bad()) {
      problem(key, "cannot read " + inQuotes(path));
      return std::nullopt;
    }
    content.resize(static_cast<std::size_t>(in.gcount()));
    if (content.size() > kMaxSecretFile) {
      problem(key, inQuotes(path) + " is larger than 64 KiB; is it the right file?");
      return std::nullopt;
    }
    if (dropTrailingNewline && !content.empty() && content.back() == '\n') {
      content.pop_back();
      if (!content.empty() && content.back() == '\r') content.pop_back();
    }
    if (content.empty()) {
      problem(key, inQuotes(path) + " is empty");
      return std::nullopt;
    }
    return core::Secret(std::move(content));
  }

  void finish() {
    auto& s = config_.session;
    // Only the absolute lifetime set (e.g. OIDC_SESSION_EXPIRY=3600): the default idle
    // limit follows it down rather than making the pair inconsistent.
    if (!origin_.contains("session.idle_timeout") && s.idle_timeout > s.absolute_timeout) {
      s.idle_timeout = s.absolute_timeout;
    }
    deriveDefaults(config_);
    // compat.openmetadata_aliases: auto follows whether OpenMetadata's names were used.
    config_.openmetadata_variables =
        std::any_of(origin_.begin(), origin_.end(), [](const auto& kv) {
          const auto& v = kv.second;
          return v.starts_with("AUTHENTICATION_") || v.starts_with("OIDC_") ||
                 v.starts_with("AUTHORIZER_");
        });
    // A file that could not be read as settings would only add noise: every required
    // key would be "missing". Fix the file first.
    if (fileBroken_) return;
    for (auto& p : validate(config_)) {
      // Point at the variable that set the value, since that is what must change.
      if (auto it = origin_.find(p.key); it != origin_.end() && !it->second.empty()) {
        p.reason += " (from " + it->second + ")";
      }
      problems_.push_back(std::move(p));
    }
  }

  const Environment& env_;
  Config config_;
  std::vector<Problem> problems_;
  std::map<std::string, std::string, std::less<>> origin_;
  std::set<std::string, std::less<>> layer_;
  bool fileBroken_ = false;
};

}  // namespace

LoadResult loadYaml(std::string_view yaml, const Environment& env, std::string source) {
  const std::string where = source.empty() ? "config" : source;
  try {
    return Loader(env).run(yaml, std::move(source));
  } catch (const std::exception& e) {
    return {Config{}, {{where, std::string("cannot load: ") + e.what()}}};
  }
}

LoadResult load(const std::string& file, const Environment& env) {
  try {
    if (file.empty()) return Loader(env).run(std::nullopt, "");
    std::error_code ec;
    if (std::filesystem::is_directory(file, ec)) {
      return {Config{}, {{file, "cannot read: is a directory"}}};
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      return {Config{}, {{file, "cannot read: " + std::generic_category().message(errno)}}};
    }
    std::ostringstream text;
    text << in.rdbuf();
    return loadYaml(text.str(), env, file);
  } catch (const std::exception& e) {
    return {Config{}, {{file.empty() ? "config" : file, std::string("cannot load: ") + e.what()}}};
  }
}

std::vector<Problem> misspeltVariables(const Environment& env) {
  std::vector<std::string> known = {"AUTH0_DOMAIN", "AUTH0_CLIENT_ID", "AUTH0_CLIENT_SECRET",
                                    "AUTH0_AUDIENCE", "AUTHGATE_ENV_FILE"};
  for (const auto& f : fields()) known.push_back(envName(f.key));
  std::vector<Problem> out;
  for (const auto& entry : env) {
    const std::string& name = entry.first;  // not a structured binding: clang 14 lambdas
    const bool family = name.rfind("AUTHGATE_", 0) == 0 || name.rfind("AUTH0_", 0) == 0;
    if (!family || std::find(known.begin(), known.end(), name) != known.end()) continue;
    const bool knownSection = std::any_of(sections().begin(), sections().end(), [&](auto s) {
      return name.rfind(envName(s) + "_", 0) == 0;
    });
    if (knownSection) continue;  // already a problem (applyAuthgate)
    if (auto hint = suggestion(name, known); !hint.empty()) {
      out.push_back({name, "unknown variable, ignored" + hint});
    }
  }
  return out;
}

std::string defaultConfigFile() {
  std::error_code ec;
  return std::filesystem::exists("authgate.yaml", ec) ? "./authgate.yaml" : "";
}

std::string assignYamlValue(FieldRef ref, const YAML::Node& node) { return assignNode(ref, node); }

std::string didYouMean(std::string_view name, const std::vector<std::string>& candidates) {
  return suggestion(name, candidates);
}

}  // namespace authgate::config
