#pragma once
// Structured logging: one sink, one logger per module, key=value messages.
#include <memory>
#include <string>

#include <spdlog/logger.h>

namespace kefu::app {

class Logging {
 public:
  explicit Logging(const std::string& level);
  std::shared_ptr<spdlog::logger> module(const std::string& name) const;

 private:
  spdlog::sink_ptr sink_;
  spdlog::level::level_enum level_;
};

}  // namespace kefu::app
