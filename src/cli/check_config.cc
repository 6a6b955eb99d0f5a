#include <iostream>

#include "cli/commands.h"
#include "config/print.h"

namespace authgate::cli {

int runCheckConfig(const CommonOptions& options, bool print) {
  const auto settings = loadSettings(options, config::processEnvironment());
  if (print) std::cout << config::printConfig(settings.config);
  if (!settings.ok()) {
    printProblems(settings.problems, std::cerr);
    return kExitProblems;
  }
  std::cout << "configuration ok\n";
  return kExitOk;
}

}  // namespace authgate::cli
