#include <iostream>

#include "cli/commands.h"

namespace authgate::cli {

CommandEnvironment commandEnvironment(const CommonOptions& options,
                                      const config::Environment& process) {
  const auto paths =
      options.env_files.empty() ? config::envFilesFromVariable(process) : options.env_files;
  if (paths.empty()) return {process, {}};
  auto files = config::withEnvFiles(paths, process);
  CommandEnvironment out{std::move(files.env), {}};
  for (auto& [where, reason] : files.problems) out.problems.push_back({where, reason});
  return out;
}

config::LoadResult loadSettings(const CommonOptions& options, const config::Environment& env) {
  auto environment = commandEnvironment(options, env);
  const auto file = options.config_file.empty() ? config::defaultConfigFile() : options.config_file;
  auto result = config::load(file, environment.env);
  for (const auto& w : config::misspeltVariables(environment.env)) {
    std::cerr << "warning: " << w.str() << '\n';
  }
  result.problems.insert(result.problems.begin(), environment.problems.begin(),
                         environment.problems.end());
  return result;
}

void printProblems(const std::vector<config::Problem>& problems, std::ostream& out) {
  for (const auto& p : problems) out << p.str() << '\n';
}

}  // namespace authgate::cli
