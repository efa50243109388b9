#pragma once
// Keeps a call record per call in the store: a row at arrival (so a crash leaves it open, to be
// closed as 'interrupted' at the next start) and the whole row at the end. Writes are group-
// committed without a timer: a write goes to the storage thread at once when none is in flight;
// what happens while one is in flight goes together in the next transaction as soon as it
// commits. A record is on disk one or two commits after the event (not after a fixed interval),
// and the number of commits does not grow with the call rate.
#include <chrono>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <spdlog/logger.h>

#include "acd/queue_service.hpp"
#include "call/call_observer.hpp"
#include "media/types.hpp"
#include "store/call_repository.hpp"
#include "store/recording_repository.hpp"

namespace kefu::store {
class StorageExecutor;
}

namespace kefu::app {

class CallRecords final : public call::CallObserver, public acd::AcdRecorder {
 public:
  CallRecords(boost::asio::io_context& io, store::StorageExecutor& storage,
              std::shared_ptr<spdlog::logger> log);

  void call_arrived(const call::LegInfo& info) override;
  void call_answered(const call::LegInfo& info) override;
  void call_ended(const call::LegInfo& info, call::LegEnd why, call::Answered answered) override;

  // Store ids of the configured queues and agents (after they were synchronised).
  void set_ids(std::map<std::string, store::QueueId> queues, std::map<std::string, store::AgentId> agents);
  // The caller number of a call in progress ("" when unknown).
  std::string caller_number(const std::string& call_id) const {
    auto found = open_.find(call_id);
    return found == open_.end() ? std::string() : found->second.caller_number;
  }
  // The agent number of a stored agent id (last-agent routing).
  std::optional<std::string> agent_number(store::AgentId id) const;

  // acd::AcdRecorder
  void agent_state(const acd::AgentStateChange& change) override;
  void queue_event(const std::string& call_id, const std::string& queue, const std::string& agent,
                   acd::QueueEventType type, const std::string& details) override;
  void call_queued(const std::string& call_id, const std::string& queue) override;
  void call_offered(const std::string& call_id) override;
  void call_connected(const std::string& call_id, const std::string& agent) override;
  void call_hold(const std::string& call_id, call::Hold hold) override;
  void call_overflowed(const std::string& call_id, const std::string& target) override;
  void agent_leg(const std::string& call_id, const std::string& agent, const call::LegInfo& leg,
                 std::chrono::system_clock::time_point started,
                 std::optional<std::chrono::system_clock::time_point> answered,
                 std::string end_reason) override;
  void recording_started(const std::string& call_id, const std::string& agent,
                         const std::string& caller, const std::filesystem::path& path) override;
  // The media engine finished (or failed) a recording file.
  void recording_done(const media::RecordingDone& done);

  // Hands everything pending to the storage thread now (shutdown).
  void flush();

  // Calls kefu places for an agent (click-to-call): opened when the agent's phone is rung,
  // answered when the called party answers, closed with the disposition the flow decided.
  void outbound_opened(const std::string& call_id, const std::string& agent,
                       const std::string& caller_number, const std::string& dialed_number);
  void outbound_answered(const std::string& call_id);
  void outbound_closed(const std::string& call_id, store::Disposition disposition);
  void leg(const std::string& call_id, store::LegRole role, const std::string& agent,
           const call::LegInfo& leg, std::chrono::system_clock::time_point started,
           std::optional<std::chrono::system_clock::time_point> answered, std::string end_reason);

 private:
  struct Write {
    enum class Kind : std::uint8_t { insert, update, leg, recording_start, recording_end } kind;
    store::CallRecord record;
    store::CallLeg leg;
    store::Recording recording;
  };
  // What the ACD adds to an open call's record before it is written at the end.
  struct Progress {
    bool queued = false;
    bool connected = false;
    bool overflowed = false;
    std::optional<store::Timestamp> hold_since;
  };
  void schedule_flush();

  boost::asio::io_context& io_;
  store::StorageExecutor& storage_;
  std::shared_ptr<spdlog::logger> log_;
  bool flush_scheduled_ = false;  // a flush is posted to the loop
  bool writing_ = false;          // a batch is with the storage thread
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // completions check it
  std::vector<Write> pending_;
  std::unordered_map<std::string, store::CallRecord> open_;  // by call id
  std::unordered_map<std::string, Progress> progress_;       // by call id
  std::map<std::string, store::QueueId> queue_ids_;
  std::map<std::string, store::AgentId> agent_ids_;
};

}  // namespace kefu::app
