#include "app/logging.hpp"

#include <spdlog/sinks/stdout_sinks.h>

namespace kefu::app {

Logging::Logging(const std::string& level)
    : sink_(std::make_shared<spdlog::sinks::stdout_sink_mt>()),
      level_(spdlog::level::from_str(level)) {
  sink_->set_pattern("ts=%Y-%m-%dT%H:%M:%S.%e level=%l module=%n %v");
}

std::shared_ptr<spdlog::logger> Logging::module(const std::string& name) const {
  auto logger = std::make_shared<spdlog::logger>(name, sink_);
  logger->set_level(level_);
  logger->flush_on(spdlog::level::debug);
  return logger;
}

}  // namespace kefu::app
