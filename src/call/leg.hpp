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
                                   failed, shutdown };
std::string_view to_string(LegEnd end);

class CallObserver;

class Leg : public std::enable_shared_from_this<Leg> {
 public:
  // `observer` may be null; otherwise it must outlive the leg.
  Leg(boost::asio::io_context& io, media::MediaEngine& media, sip::InviteSession session,
      media::SessionId media_session, LegInfo info, std::string answer_sdp,
      media::MediaParams media_params, std::shared_ptr<spdlog::logger> log,
      CallObserver* observer = nullptr);

  const LegInfo& info() const { return info_; }
  media::SessionId media_session() const { return media_session_; }
  sip::InviteSession session() const { return session_; }
  bool ended() const { return end_ != LegEnd::none; }
  LegEnd end_reason() const { return end_; }

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
  // BYE (or 480 before the answer); the media session ends at once.
  void hangup(LegEnd why = LegEnd::local_hangup);

  // Events, routed here by the CallManager on the control loop.
  void on_digit(char digit);
  void on_play_done(media::PlayId id);
  void on_media_update(const media::MediaParams& params);
  void on_ended(LegEnd why);

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
  media::PlayId next_play_id_ = 1;
  bool media_started_ = false;
  bool answered_ = false;
  bool media_released_ = false;
  LegEnd end_ = LegEnd::none;
};

}  // namespace kefu::call
