#include <iostream>

#include "cli/commands.h"
#include "gateway/serve.h"

namespace authgate::cli {

int runServe(const CommonOptions& options) {
  const auto settings = loadSettings(options, config::processEnvironment());
  if (!settings.ok()) {
    // Every problem at once, so one restart fixes them all.
    printProblems(settings.problems, std::cerr);
    return kExitProblems;
  }
  // SIGHUP: the same sources again (the file, the env files, the environment).
  return gateway::serve(settings.config,
                        [options] { return loadSettings(options, config::processEnvironment()); });
}

}  // namespace authgate::cli
