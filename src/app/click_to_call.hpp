#pragma once
// Click-to-call: an agent asks (HTTP) to call a number; kefu rings the agent's own phone first,
// and once the agent answers dials the number (OutboundDialer) while the agent hears ringback,
// then bridges the two. The agent is OnCall for the ACD from the request to the end, so no queue
// call is offered meanwhile; afterwards they wrap up as after a queue call.
//
//   agent phone rings ──(no answer in agent_ring_timeout)──→ CANCEL, nothing dialed
//        │ answers
//   number rings, agent hears ringback ──(busy / no answer / unreachable)──→ tone, then BYE
//        │ answers
//   bridged (recorded if the agent's queues say so) ──(either hangs up)──→ BYE to the other
//
// Everything runs on the control loop; calls are found by id, so a late event finds nothing.
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include <spdlog/logger.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "acd/queue_service.hpp"
#include "app/outbound_dialer.hpp"
#include "call/leg.hpp"
#include "store/types.hpp"

namespace kefu::app {

struct OutboundCallInfo {
  std::string call_id;  // the agent leg's SIP Call-ID
  std::string agent;
  std::string extension;  // the agent's phone that was rung
  std::string number;     // the called party: E.164 number or extension
};

// Told how each click-to-call goes (call records, events). On the control loop; must not block.
class ClickToCallListener {
 public:
  virtual ~ClickToCallListener() = default;
  virtual void outbound_started(const OutboundCallInfo& call) = 0;  // the agent's phone rings
  virtual void outbound_dialing(const OutboundCallInfo& call) = 0;  // agent answered; number rings
  virtual void outbound_connected(const OutboundCallInfo& call) = 0;
  virtual void outbound_hold(const OutboundCallInfo& call, call::Hold hold) = 0;
  // `reason`: "ended_by=customer", "busy 486", "agent did not answer" …
  virtual void outbound_ended(const OutboundCallInfo& call, store::Disposition disposition,
                              const std::string& reason) = 0;
  virtual void outbound_leg(const OutboundCallInfo& call, store::LegRole role,
                            const call::LegInfo& leg, std::chrono::system_clock::time_point started,
                            std::optional<std::chrono::system_clock::time_point> answered,
                            std::string end_reason) = 0;
  virtual void outbound_recording(const OutboundCallInfo& call,
                                  const std::filesystem::path& path) = 0;
};

enum class OriginateProblem : std::uint8_t {
  unknown_agent,
  invalid_number,
  no_gateway,
  unreachable,  // the agent's phone (or the called extension) is not registered
  agent_state,  // the agent is logged out, on a call, or being offered one
  failed,       // the agent's phone could not be called
};

struct OriginateError {
  OriginateProblem problem = OriginateProblem::failed;
  std::string message;
};

class ClickToCall {
 public:
  // `music_on_hold` is what a held party hears. All references must outlive this.
  ClickToCall(boost::asio::io_context& io, call::CallManager& calls, acd::QueueService& queues,
              OutboundDialer& dialer, ClickToCallListener& listener, call::Clip music_on_hold,
              std::shared_ptr<spdlog::logger> log);
  ~ClickToCall();
  ClickToCall(const ClickToCall&) = delete;
  ClickToCall& operator=(const ClickToCall&) = delete;

  // Rings the agent's phone and returns the call's id; the rest happens asynchronously.
  Result<OutboundCallInfo, OriginateError> originate(const std::string& agent,
                                                     std::string_view number);
  std::size_t active() const { return active_.size(); }

 private:
  enum class Phase : std::uint8_t { ringing_agent, dialing, connected, failing };
  struct Active;
  using Clock = std::chrono::system_clock;

  Active* find(const std::string& id);
  // Rings that last too long: the agent's phone, or the called number.
  void arm_timer(Active& call, std::chrono::seconds after);
  void agent_answered(const std::string& id);
  void agent_ended(const std::string& id, call::LegEnd why);
  void customer_answered(const std::string& id);
  void customer_ended(const std::string& id, call::LegEnd why);
  void hold_changed(const std::string& id, bool customer_side, call::Hold hold);
  // The number was not reached: the agent hears `tone` a few times, then BYE.
  enum class Tone : std::uint8_t { busy, congestion };
  void fail_to_agent(Active& call, Tone tone, store::Disposition disposition, std::string reason);
  void finish(const std::string& id, acd::OutboundEnd how, store::Disposition disposition,
              std::string reason);

  boost::asio::io_context& io_;
  call::CallManager& calls_;
  acd::QueueService& queues_;
  OutboundDialer& dialer_;
  ClickToCallListener& listener_;
  call::Clip music_on_hold_;
  call::Clip ringback_;
  call::Clip busy_tone_;        // one cadence cycle
  call::Clip congestion_tone_;  // one cadence cycle
  std::shared_ptr<spdlog::logger> log_;
  std::unordered_map<std::string, std::unique_ptr<Active>> active_;  // by call id
};

}  // namespace kefu::app
