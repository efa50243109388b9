#pragma once
// The live event stream (WebSocket /api/v1/events): what happens in the ACD, pushed to the
// people who may see it. An AcdRecorder in front of the call records: every event is stored
// (CallRecords) and published. Events (JSON text frames, `{"type": …, "at": ms, …}`):
//   agent.state     an agent's state changed            → that agent; holders of agents.read
//   call.offered    a call rings an agent, with the screen pop (customer profile and history,
//                   or the number and its region)      → that agent; holders of calls.monitor
//                   The pop is read once per call and moves with it: after a transfer the next
//                   agent gets the same payload and "transfers" (who passed it on, to where).
//   call.transferred                                    → the agent who passed it; calls.monitor
//   call.connected / call.ended                         → that agent; holders of calls.monitor
//   queue.stats     every queue's live figures, once a second → holders of queues.read
//   call.originated / call.dialing / call.connected / call.ended with "direction": "outbound"
//                   a click-to-call: the agent's phone rings; the agent answered and the number
//                   is dialed; the number answered; the end with its disposition
//                                                       → that agent; holders of calls.monitor
// Runs on the control loop; the screen pop is read on a storage thread.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <spdlog/logger.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "acd/queue_service.hpp"
#include "app/click_to_call.hpp"
#include "auth/permissions.hpp"
#include "crm/customer.hpp"

namespace kefu::api {
class WebSocketChannel;
}
namespace kefu::crm {
class PhoneNumbers;
}
namespace kefu::store {
class StorageExecutor;
}

namespace kefu::app {

class CallRecords;

class LiveEvents final : public acd::AcdRecorder, public ClickToCallListener {
 public:
  LiveEvents(boost::asio::io_context& io, CallRecords& records, store::StorageExecutor& storage,
             const crm::PhoneNumbers& numbers, std::shared_ptr<spdlog::logger> log);
  ~LiveEvents() override;

  // The queue service, for the once-a-second statistics (set after both exist).
  void set_queues(const acd::QueueService* queues);
  void subscribe(std::shared_ptr<api::WebSocketChannel> channel, auth::Identity identity);
  std::size_t subscribers() const { return subscribers_.size(); }

  // acd::AcdRecorder: stored through CallRecords, then published.
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

  // ClickToCallListener: stored through CallRecords, then published.
  void outbound_started(const OutboundCallInfo& call) override;
  void outbound_dialing(const OutboundCallInfo& call) override;
  void outbound_connected(const OutboundCallInfo& call) override;
  void outbound_hold(const OutboundCallInfo& call, call::Hold hold) override;
  void outbound_ended(const OutboundCallInfo& call, store::Disposition disposition,
                      const std::string& reason) override;
  void outbound_leg(const OutboundCallInfo& call, store::LegRole role, const call::LegInfo& leg,
                    std::chrono::system_clock::time_point started,
                    std::optional<std::chrono::system_clock::time_point> answered,
                    std::string end_reason) override;
  void outbound_recording(const OutboundCallInfo& call, const std::filesystem::path& path) override;

 private:
  struct Subscriber {
    std::shared_ptr<api::WebSocketChannel> channel;
    auth::Identity identity;
  };
  enum class Audience : std::uint8_t { agents_read, calls_monitor, queues_read };
  void publish(const std::string& text, const std::string& agent, Audience audience);
  void publish_outbound(const OutboundCallInfo& call, std::string_view type,
                        const std::string& details);
  // The call goes into the customer's history (shown in the next screen pop).
  void add_interaction(const std::string& number, const std::string& call_id,
                       crm::InteractionDirection direction, const std::string& summary);
  void tick();
  void publish_offer(const std::string& call_id, const std::string& queue,
                     const std::string& agent);

  // What travels with a call from offer to offer: the screen pop read at its first offer and
  // the transfers so far. Dropped when the call ends (or, for calls that end without an event
  // here, after a day).
  struct CallContext {
    std::string caller;
    std::optional<std::string> screen_pop;  // JSON text; empty until read
    bool reading = false;
    std::vector<std::string> pending_offers;  // agents offered while it was being read
    struct Transfer {
      std::int64_t at_ms = 0;
      std::string from_queue;
      std::string from_agent;
      std::string to;  // the transfer's details: "to_queue=… to_agent=…", "to_number=…"
    };
    std::vector<Transfer> transfers;
    std::chrono::steady_clock::time_point created = std::chrono::steady_clock::now();
  };
  CallContext& context(const std::string& call_id);

  boost::asio::io_context& io_;
  CallRecords& records_;
  store::StorageExecutor& storage_;
  const crm::PhoneNumbers& numbers_;
  std::shared_ptr<spdlog::logger> log_;
  const acd::QueueService* queues_ = nullptr;
  boost::asio::steady_timer stats_timer_;
  std::vector<Subscriber> subscribers_;
  std::unordered_map<std::string, CallContext> contexts_;  // by call id
};

}  // namespace kefu::app
