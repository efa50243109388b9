#pragma once
#include "app/options.hpp"

namespace kefu::app {

// Builds every module, wires them together, serves until SIGTERM/SIGINT; returns the exit code.
int run_server(const ServeOptions& options);

}  // namespace kefu::app
