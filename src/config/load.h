// Loads settings: the YAML file, then environment overrides, then offline checks.
// Every problem is collected, not just the first, so an operator fixes them in one go.
//
// Precedence, lowest first (docs/CONFIGURATION.md):
//   built-in defaults < YAML file < OpenMetadata names (AUTHENTICATION_*, OIDC_*,
//   AUTHORIZER_*) < AUTH0_* shorthands < AUTHGATE_<SECTION>_<KEY>
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/environment.h"

namespace authgate::config {

struct Problem {
  std::string key;     // dotted YAML path ("session.idle_timeout"), or the variable's name
  std::string reason;  // never contains a secret value
  std::string str() const { return key + ": " + reason; }
  friend bool operator==(const Problem&, const Problem&) = default;
  friend std::ostream& operator<<(std::ostream& os, const Problem& p) { return os << p.str(); }
};

struct LoadResult {
  Config config;
  std::vector<Problem> problems;
  bool ok() const { return problems.empty(); }
};

// `file` empty: built-in defaults + environment. Never throws.
LoadResult load(const std::string& file, const Environment& env);

// The same from YAML text (tests, and `source` names it in Config::source).
LoadResult loadYaml(std::string_view yaml, const Environment& env, std::string source = "");

// Fills values that default from others: callback_url (public_url + path_prefix +
// "/callback", or http://listen... when public_url is empty) and discovery_url
// (issuer + "/.well-known/openid-configuration", OpenID Discovery s4).
void deriveDefaults(Config& config);

// The offline checks on a complete Config. load() already runs them.
std::vector<Problem> validate(const Config& config);

// Warnings for AUTHGATE_* and AUTH0_* variables authgate does not read but that are
// within a typo of one it does (`AUTHGATE_SESION_STORE: unknown variable, ignored (did
// you mean AUTHGATE_SESSION_STORE?)`). Unknown AUTHGATE_<SECTION>_* names of a known
// section are problems (load() reports them); names far from every known one (scripts'
// own variables) are left alone.
std::vector<Problem> misspeltVariables(const Environment& env);

// "./authgate.yaml" when that file exists, else "" (defaults + environment).
std::string defaultConfigFile();

}  // namespace authgate::config
