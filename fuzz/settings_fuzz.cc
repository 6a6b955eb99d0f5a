// Fuzzes the settings loader (config/load.h, config/environment.h): YAML text and the
// environment, as `authgate serve` reads them. The input is "YAML\0ENV-FILE": the env
// file (docker compose syntax, config::parseEnvFile) becomes the environment that
// config::loadYaml applies over the YAML (AUTHGATE_*, AUTH0_*, OpenMetadata's names).
// Without a NUL the whole input is YAML. Then the misspelt-variable warnings, the
// redacted printing and a reload plan against the defaults run on the result. Asserts:
// loading never throws; a long client secret never appears in the printed settings
// (unless another, non-secret value holds the same text);
// env-file errors carry no value of the file.
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/environment.h"
#include "config/load.h"
#include "config/print.h"
#include "config/reload.h"
#include "fuzz_support.h"

using namespace authgate;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input = fuzz::text(data, size);
  const size_t nul = input.find('\0');
  const std::string_view yaml = input.substr(0, nul);
  config::Environment env;
  if (nul != std::string_view::npos) {
    auto file = config::parseEnvFile(input.substr(nul + 1), {{"HOME", "/home/fuzz"}});
    for (const auto& e : file.errors) {
      if (e.line == 0) fuzz::fail();
    }
    env = std::move(file.values);
  }
  config::LoadResult r;
  try {
    r = config::loadYaml(yaml, env, "fuzz.yaml");
  } catch (...) {
    fuzz::fail();  // "Never throws"
  }
  (void)config::misspeltVariables(env);
  const std::string printed = config::printConfig(r.config);
  const std::string secret = r.config.provider.client_secret.reveal();
  if (secret.size() >= 12 && printed.find(secret) != std::string::npos) {
    // The same text may be a part of a value that is not secret (a multi-line quoted
    // scope that holds "OIDC_CLIENT_SECRET=..."). Only a leak if it is gone once the
    // secret is.
    config::Config without = r.config;
    without.provider.client_secret = core::Secret();
    if (config::printConfig(without).find(secret) == std::string::npos) fuzz::fail();
  }
  if (r.ok()) (void)config::planReload(config::Config{}, r.config);
  return 0;
}
