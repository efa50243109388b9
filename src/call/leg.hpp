#pragma once
// Leg: one SIP INVITE session plus its media session, driven by a C++20 coroutine on the
// control loop:
//
//   co_await leg->answer();
//   co_await leg->play({greeting}, Interrupt::by_digit);
//   auto digit = co_await leg->next_digit(5s);
//
// Every awaitable returns promptly once the leg has ended (hang-up, CANCEL, RTP timeout,
// shutdown), so a flow never waits on a dead call.
#include <chrono>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/logger.h>

#include "call/waiter.hpp"
#include "media/audio_clip.hpp"
#include "media/types.hpp"
#include "sip/stack/invite_session.hpp"

namespace kefu::media {
class MediaEngine;
}

namespace kefu::call {

using Clip = std::shared_ptr<const media::AudioClip>;

struct LegInfo {
  std::string call_id;
  std::string caller;          // From user part (ANI), unescaped
  std::string caller_display;  // From display name
  std::string dialed;          // Request-URI user part (DNIS), unescaped
};

enum class Interrupt : std::uint8_t { none, by_digit };
enum class PlayResult : std::uint8_t { completed, interrupted, ended };

enum class LegEnd : std::uint8_t { none, remote_hangup, local_hangup, cancelled, rtp_timeout,
                                   failed, shutdown, rejected, no_answer };
std::string_view to_string(LegEnd end);

// Who started the leg: a caller's INVITE to us (answer() it) or our INVITE to a phone
// (CallManager::dial; it answers or not).
enum class LegDirection : std::uint8_t { inbound, outbound };
enum class Hold : std::uint8_t { no, yes };

class CallObserver;

// A blind transfer the far end asked for with REFER (RFC 3515), already checked by the SIP
// stack (one Refer-To, no Replaces).
struct TransferRequest {
  std::string target;       // the Refer-To URI
  std::string target_user;  // its user part: an extension, a queue's number, a phone number
  std::string referred_by;  // empty when not given
};
// What the far end is told about a transfer it asked for (the NOTIFYs of its REFER).
enum class TransferProgress : std::uint8_t { trying, succeeded, failed };

class Leg : public std::enable_shared_from_this<Leg> {
 public:
  // `observer` may be null; otherwise it must outlive the leg.
  Leg(boost::asio::io_context& io, media::MediaEngine& media, sip::InviteSession session,
      media::SessionId media_session, LegInfo info, std::string answer_sdp,
      media::MediaParams media_params, std::shared_ptr<spdlog::logger> log,
      CallObserver* observer = nullptr);
  // An outbound leg: media starts when the far end answers (on_remote_answer).
  Leg(boost::asio::io_context& io, media::MediaEngine& media, sip::InviteSession session,
      media::SessionId media_session, LegInfo info, std::shared_ptr<spdlog::logger> log);

  const LegInfo& info() const { return info_; }
  media::SessionId media_session() const { return media_session_; }
  sip::InviteSession session() const { return session_; }
  bool ended() const { return end_ != LegEnd::none; }
  LegEnd end_reason() const { return end_; }
  LegDirection direction() const { return direction_; }
  media::Codec codec() const { return media_params_.codec.codec; }
  bool answered() const { return answered_; }
  // The SIP status that ended an outbound leg that was not answered (486, 480, 487...); 0 else.
  int final_status() const { return final_status_; }
  // The far end put us on hold (its SDP says it will not receive): nothing we send is heard.
  Hold remote_hold() const { return remote_hold_; }

  // Callbacks for code that drives legs by events rather than a coroutine (the ACD's bridge).
  // Run on the control loop; at most one of each, replaced by a later set.
  void on_answer(std::function<void()> handler) { answer_handler_ = std::move(handler); }
  void on_end(std::function<void(LegEnd)> handler) { end_handler_ = std::move(handler); }
  void on_hold_change(std::function<void(Hold)> handler) { hold_handler_ = std::move(handler); }
  // The far end sent REFER. The handler answers it at once with accept_transfer() or
  // refuse_transfer(); without a handler every REFER is refused with 403.
  void on_transfer_request(std::function<void(const TransferRequest&)> handler) {
    transfer_handler_ = std::move(handler);
  }
  // The REFER being handled: 202 Accepted, or refused (403, 488, 503...).
  bool accept_transfer();
  bool refuse_transfer(int status, std::string reason = {});
  // After accept_transfer(): NOTIFY 100 Trying, then 200 OK or 503 (either ends the reports).
  bool report_transfer(TransferProgress progress);

  // 180 Ringing; false when the leg is gone.
  bool ring();
  // 200 OK with our SDP answer, media starts; false when the caller already hung up.
  boost::asio::awaitable<bool> answer();
  // Plays clips in order. With Interrupt::by_digit a digit (also one typed ahead) stops it.
  boost::asio::awaitable<PlayResult> play(std::vector<Clip> clips, Interrupt interrupt);
  // The next digit from RFC 4733, SIP INFO or in-band detection; nullopt on timeout or end.
  boost::asio::awaitable<std::optional<char>> next_digit(std::chrono::milliseconds timeout);
  // Waits `duration` (a ring delay, a pause); returns false if the leg ended meanwhile.
  boost::asio::awaitable<bool> pause(std::chrono::milliseconds duration);
  // BYE (or 480 before the answer; CANCEL for an outbound leg not yet answered); the media
  // session ends at once.
  void hangup(LegEnd why = LegEnd::local_hangup);

  // Media without a coroutine. A background play replaces what plays (also a play() in
  // progress, which then completes); `done` runs when a non-looping one finished by itself.
  bool play_background(std::vector<Clip> clips, media::Loop loop,
                       std::function<void()> done = nullptr);
  void stop_background();
  // Two-party bridge with another leg on the same media thread (see MediaEngine::bridge).
  bool bridge_with(const Leg& other);
  void unbridge();
  // Stereo recording of this leg (left) and `other` (right) into `path` (`path.part` until
  // done); the CallManager reports RecordingDone through its recording handler.
  bool record_with(const Leg& other, const std::filesystem::path& path);
  void stop_recording();

  // Events, routed here by the CallManager on the control loop.
  void on_digit(char digit);
  void on_play_done(media::PlayId id);
  void on_media_update(const media::MediaParams& params);
  void on_ended(LegEnd why);
  void on_transfer_requested(const TransferRequest& request);
  // Outbound legs: the 2xx with the far end's answer arrived (ACK sent).
  void on_remote_answer(const media::MediaParams& params);
  void set_final_status(int status) { final_status_ = status; }

 private:
  enum class Wake : std::uint8_t { play_done, digit, timer, ended };
  void wake(Wake why);
  void arm_timer(std::chrono::milliseconds duration);
  void release_media();

  boost::asio::io_context& io_;
  media::MediaEngine& media_;
  sip::InviteSession session_;
  media::SessionId media_session_;
  LegInfo info_;
  std::string answer_sdp_;
  media::MediaParams media_params_;
  std::shared_ptr<spdlog::logger> log_;
  CallObserver* observer_;

  Waiter<Wake> waiter_;
  boost::asio::steady_timer timer_;
  std::deque<char> digits_;
  std::uint64_t timer_generation_ = 0;
  media::PlayId current_play_ = 0;
  media::PlayId background_play_ = 0;
  std::function<void()> background_done_;
  std::function<void()> answer_handler_;
  std::function<void(LegEnd)> end_handler_;
  std::function<void(Hold)> hold_handler_;
  std::function<void(const TransferRequest&)> transfer_handler_;
  LegDirection direction_ = LegDirection::inbound;
  Hold remote_hold_ = Hold::no;
  int final_status_ = 0;
  media::PlayId next_play_id_ = 1;
  bool media_started_ = false;
  bool answered_ = false;
  bool media_released_ = false;
  LegEnd end_ = LegEnd::none;
};

}  // namespace kefu::call
