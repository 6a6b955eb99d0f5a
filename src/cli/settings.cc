#include <iostream>

#include "cli/commands.h"

namespace authgate::cli {

config::LoadResult loadSettings(const CommonOptions& options, const config::Environment& env) {
  const auto file = options.config_file.empty() ? config::defaultConfigFile() : options.config_file;
  return config::load(file, env);
}

void printProblems(const std::vector<config::Problem>& problems, std::ostream& out) {
  for (const auto& p : problems) out << p.str() << '\n';
}

int notAvailable(const std::string& command) {
  std::cerr << "authgate " << command << ": not available yet\n";
  return kExitNotAvailable;
}

}  // namespace authgate::cli
