#pragma once
// CallManager: takes incoming INVITEs from the SIP user agent, negotiates SDP, creates the
// media session and a Leg, and starts the entry flow chosen by the dialed number (DNIS).
// Routes media events (digits, play done, RTP timeout) and SIP session events to the Leg.
// Lives on the control loop.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <spdlog/logger.h>

#include "call/leg.hpp"
#include "media/types.hpp"
#include "sip/stack/invite_session.hpp"

namespace kefu::media {
class MediaEngine;
}
namespace kefu::sip {
class UserAgent;
}

namespace kefu::call {

class CallObserver;
using EntryFlow = std::function<boost::asio::awaitable<void>(std::shared_ptr<Leg>)>;

struct CallConfig {
  std::string media_address = "127.0.0.1";  // our RTP address as written into SDP
};

class CallManager {
 public:
  CallManager(boost::asio::io_context& io, sip::UserAgent& user_agent, media::MediaEngine& media,
              CallConfig config, std::shared_ptr<spdlog::logger> log);
  ~CallManager();
  CallManager(const CallManager&) = delete;
  CallManager& operator=(const CallManager&) = delete;

  // Told about every call's arrival, answer and end; null = nobody. Must outlive the manager.
  void set_observer(CallObserver* observer) { observer_ = observer; }
  // The flow run for calls to `dialed` (the Request-URI user). Unrouted numbers get 404.
  void route(std::string dialed, EntryFlow flow);
  // Media events, already posted to the control loop.
  void on_media_event(const media::MediaEvent& event);
  std::size_t active_legs() const { return legs_.size(); }

 private:
  struct LegState;
  void on_incoming(sip::InviteSession call);
  void on_session_event(std::uint64_t session_id, sip::InviteSession session,
                        const sip::SessionEvent& event);
  std::shared_ptr<Leg> leg_for_media(media::SessionId id) const;

  boost::asio::io_context& io_;
  sip::UserAgent& user_agent_;
  media::MediaEngine& media_;
  CallConfig config_;
  std::shared_ptr<spdlog::logger> log_;
  CallObserver* observer_ = nullptr;
  std::map<std::string, EntryFlow, std::less<>> routes_;
  std::unordered_map<std::uint64_t, std::unique_ptr<LegState>> legs_;  // by SIP session id
  std::map<media::SessionId, std::uint64_t> by_media_;
};

}  // namespace kefu::call
