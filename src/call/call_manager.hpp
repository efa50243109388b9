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
#include "common/result.hpp"
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
  std::string sip_host = "127.0.0.1";       // host part of our From URI on outbound calls
};

// An outbound leg to a phone (an agent's registered contact, a transfer target).
struct DialRequest {
  std::string target;  // Request-URI, e.g. "sip:1001@192.0.2.7:5062"
  std::string callee;  // who is called (an extension), for logs and records
  std::string caller;  // user part of our From: the number the phone shows
  std::string caller_display;
  std::optional<sip::Destination> destination;  // the registered flow, if not the target's host
  // Put the new media session on this session's media thread (the leg it will be bridged
  // with) and offer its codec first, so the bridge forwards instead of transcoding.
  std::optional<media::SessionId> same_thread_as;
  std::optional<media::Codec> preferred_codec;
  sip::HeaderList headers;
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
  // Calls to numbers with no exact route go here when set (feature codes, extensions).
  void route_fallback(std::function<std::optional<EntryFlow>(const LegInfo&)> pick) {
    fallback_ = std::move(pick);
  }
  // Sends the INVITE; the leg reports its answer or end through its callbacks. The error says
  // why nothing was sent.
  Result<std::shared_ptr<Leg>, std::string> dial(const DialRequest& request);
  // Finished (or failed) stereo recordings; the media engine reports them here.
  void on_recording_done(std::function<void(const media::RecordingDone&)> handler) {
    recording_done_ = std::move(handler);
  }
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
  std::function<std::optional<EntryFlow>(const LegInfo&)> fallback_;
  std::function<void(const media::RecordingDone&)> recording_done_;
  std::uint64_t next_offer_id_ = 1;
  std::unordered_map<std::uint64_t, std::unique_ptr<LegState>> legs_;  // by SIP session id
  std::map<media::SessionId, std::uint64_t> by_media_;
};

}  // namespace kefu::call
