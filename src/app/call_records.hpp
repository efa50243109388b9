#pragma once
// Keeps a call record per call in the store: a row at arrival (so a crash leaves it open, to be
// closed as 'interrupted' at the next start) and the whole row at the end. Writes are grouped:
// everything that happened within one flush interval goes to disk in one transaction, so the
// cost of a durable commit does not grow with the call rate.
#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/logger.h>

#include "call/call_observer.hpp"
#include "store/call_repository.hpp"

namespace kefu::store {
class StorageExecutor;
}

namespace kefu::app {

class CallRecords final : public call::CallObserver {
 public:
  CallRecords(boost::asio::io_context& io, store::StorageExecutor& storage,
              std::shared_ptr<spdlog::logger> log,
              std::chrono::milliseconds flush_interval = std::chrono::milliseconds(100));

  void call_arrived(const call::LegInfo& info) override;
  void call_answered(const call::LegInfo& info) override;
  void call_ended(const call::LegInfo& info, call::LegEnd why, call::Answered answered) override;

  // Hands everything pending to the storage thread now (shutdown).
  void flush();

 private:
  struct Write {
    enum class Kind : std::uint8_t { insert, update } kind;
    store::CallRecord record;
  };
  void schedule_flush();

  boost::asio::io_context& io_;
  store::StorageExecutor& storage_;
  std::shared_ptr<spdlog::logger> log_;
  std::chrono::milliseconds flush_interval_;
  boost::asio::steady_timer flush_timer_;
  bool flush_scheduled_ = false;
  std::vector<Write> pending_;
  std::unordered_map<std::string, store::CallRecord> open_;  // by call id
};

}  // namespace kefu::app
