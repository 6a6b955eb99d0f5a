// Runs the gateway until SIGTERM/SIGINT, then drains. Returns the process exit code.
#pragma once

#include "config/config.h"

namespace authgate::gateway {

int serve(const config::Config& config);

}  // namespace authgate::gateway
