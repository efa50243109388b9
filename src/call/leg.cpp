#include "call/leg.hpp"

#include <boost/asio/use_awaitable.hpp>

#include "call/call_observer.hpp"
#include "media/media_engine.hpp"

namespace kefu::call {

std::string_view to_string(LegEnd end) {
  switch (end) {
    case LegEnd::none: return "none";
    case LegEnd::remote_hangup: return "remote_hangup";
    case LegEnd::local_hangup: return "local_hangup";
    case LegEnd::cancelled: return "cancelled";
    case LegEnd::rtp_timeout: return "rtp_timeout";
    case LegEnd::failed: return "failed";
    case LegEnd::shutdown: return "shutdown";
    case LegEnd::rejected: return "rejected";
    case LegEnd::no_answer: return "no_answer";
  }
  return "unknown";
}

Leg::Leg(boost::asio::io_context& io, media::MediaEngine& media, sip::InviteSession session,
         media::SessionId media_session, LegInfo info, std::string answer_sdp,
         media::MediaParams media_params, std::shared_ptr<spdlog::logger> log,
         CallObserver* observer)
    : io_(io),
      media_(media),
      session_(std::move(session)),
      media_session_(media_session),
      info_(std::move(info)),
      answer_sdp_(std::move(answer_sdp)),
      media_params_(media_params),
      log_(std::move(log)),
      observer_(observer),
      waiter_(io),
      timer_(io) {}

Leg::Leg(boost::asio::io_context& io, media::MediaEngine& media, sip::InviteSession session,
         media::SessionId media_session, LegInfo info, std::shared_ptr<spdlog::logger> log)
    : io_(io),
      media_(media),
      session_(std::move(session)),
      media_session_(media_session),
      info_(std::move(info)),
      log_(std::move(log)),
      observer_(nullptr),
      waiter_(io),
      timer_(io),
      direction_(LegDirection::outbound) {}

bool Leg::ring() { return !ended() && session_.ring(180) == sip::SessionStatus::Ok; }

boost::asio::awaitable<bool> Leg::answer() {
  if (ended()) co_return false;
  if (session_.answer(answer_sdp_) != sip::SessionStatus::Ok) co_return false;
  // Media may flow as soon as the 200 is out (RFC 3261 §13.3.1.4 lets the UAS send at once).
  if (media_.start(media_session_, media_params_)) media_started_ = true;
  answered_ = true;
  if (observer_ != nullptr) observer_->call_answered(info_);
  log_->info("call_id={} answered caller={} dialed={}", info_.call_id, info_.caller, info_.dialed);
  co_return true;
}

boost::asio::awaitable<PlayResult> Leg::play(std::vector<Clip> clips, Interrupt interrupt) {
  if (ended()) co_return PlayResult::ended;
  if (interrupt == Interrupt::by_digit && !digits_.empty()) co_return PlayResult::interrupted;
  if (clips.empty()) co_return PlayResult::completed;
  background_play_ = 0;  // replaced by this play
  background_done_ = nullptr;
  current_play_ = next_play_id_++;
  if (!media_.play(media_session_, std::move(clips), media::Loop::no, current_play_)) {
    co_return PlayResult::ended;
  }
  for (;;) {
    Wake why = co_await waiter_.wait();
    if (why == Wake::ended) co_return PlayResult::ended;
    if (why == Wake::play_done) co_return PlayResult::completed;
    if (why == Wake::digit && interrupt == Interrupt::by_digit) {
      current_play_ = 0;
      (void)media_.stop_play(media_session_);
      co_return PlayResult::interrupted;
    }
  }
}

boost::asio::awaitable<std::optional<char>> Leg::next_digit(std::chrono::milliseconds timeout) {
  for (;;) {
    if (!digits_.empty()) {
      char digit = digits_.front();
      digits_.pop_front();
      co_return digit;
    }
    if (ended()) co_return std::nullopt;
    arm_timer(timeout);
    Wake why = co_await waiter_.wait();
    ++timer_generation_;
    timer_.cancel();
    if (why == Wake::timer) co_return std::nullopt;
    if (why == Wake::ended) co_return std::nullopt;
  }
}

boost::asio::awaitable<bool> Leg::pause(std::chrono::milliseconds duration) {
  if (ended()) co_return false;
  arm_timer(duration);
  for (;;) {
    Wake why = co_await waiter_.wait();
    if (why == Wake::ended) {
      timer_.cancel();
      co_return false;
    }
    if (why == Wake::timer) co_return true;
  }
}

void Leg::arm_timer(std::chrono::milliseconds duration) {
  // A generation per arming: a timer that fired just before it was cancelled must not wake
  // a later wait.
  auto generation = ++timer_generation_;
  timer_.expires_after(duration);
  timer_.async_wait([self = weak_from_this(), generation](boost::system::error_code ec) {
    auto leg = self.lock();
    if (leg && !ec && leg->timer_generation_ == generation) leg->wake(Wake::timer);
  });
}

void Leg::hangup(LegEnd why) {
  if (ended()) return;
  // Ended first: the stack may report the session's end synchronously, and the reason
  // recorded must be ours.
  auto session = session_;
  on_ended(why);
  (void)session.hangup();
}

void Leg::on_digit(char digit) {
  if (ended()) return;
  log_->info("call_id={} digit={}", info_.call_id, digit);
  digits_.push_back(digit);
  wake(Wake::digit);
}

void Leg::on_play_done(media::PlayId id) {
  if (id != 0 && id == background_play_) {
    background_play_ = 0;
    if (auto done = std::move(background_done_)) {
      background_done_ = nullptr;
      done();
    }
    return;
  }
  if (id != 0 && id == current_play_) {
    current_play_ = 0;
    wake(Wake::play_done);
  }
}

void Leg::on_media_update(const media::MediaParams& params) {
  media_params_ = params;
  if (media_started_) (void)media_.update(media_session_, params);
  const Hold hold = media::sends(params.direction) ? Hold::no : Hold::yes;
  if (hold != remote_hold_) {
    remote_hold_ = hold;
    log_->info("call_id={} hold={}", info_.call_id, hold == Hold::yes ? "on" : "off");
    if (hold_handler_) hold_handler_(hold);
  }
}

void Leg::on_remote_answer(const media::MediaParams& params) {
  if (ended() || answered_) return;
  media_params_ = params;
  if (media_.start(media_session_, params)) media_started_ = true;
  answered_ = true;
  remote_hold_ = media::sends(params.direction) ? Hold::no : Hold::yes;
  log_->info("call_id={} answered by={}", info_.call_id, info_.dialed);
  if (answer_handler_) answer_handler_();
}

bool Leg::play_background(std::vector<Clip> clips, media::Loop loop, std::function<void()> done) {
  if (ended()) return false;
  // Whatever play() was waiting for is over: wake it as completed.
  if (current_play_ != 0) on_play_done(current_play_);
  background_play_ = next_play_id_++;
  background_done_ = loop == media::Loop::no ? std::move(done) : nullptr;
  return static_cast<bool>(media_.play(media_session_, std::move(clips), loop, background_play_));
}

void Leg::stop_background() {
  if (background_play_ == 0 || ended()) return;
  background_play_ = 0;
  background_done_ = nullptr;
  (void)media_.stop_play(media_session_);
}

bool Leg::bridge_with(const Leg& other) {
  if (ended() || other.ended()) return false;
  return static_cast<bool>(media_.bridge(media_session_, other.media_session_));
}

void Leg::unbridge() {
  if (!ended()) (void)media_.unbridge(media_session_);
}

bool Leg::record_with(const Leg& other, const std::filesystem::path& path) {
  if (ended() || other.ended()) return false;
  return static_cast<bool>(media_.record_bridge_start(media_session_, other.media_session_, path));
}

void Leg::stop_recording() {
  if (!ended()) (void)media_.record_bridge_stop(media_session_);
}

void Leg::on_transfer_requested(const TransferRequest& request) {
  log_->info("call_id={} transfer requested target={} referred_by={}", info_.call_id,
             request.target, request.referred_by.empty() ? "-" : request.referred_by);
  if (ended() || !transfer_handler_) {
    (void)refuse_transfer(403, "Transfer Not Allowed");
    return;
  }
  auto handler = transfer_handler_;  // it may replace itself
  handler(request);
}

bool Leg::accept_transfer() {
  return session_.accept_refer() == sip::SessionStatus::Ok;
}

bool Leg::refuse_transfer(int status, std::string reason) {
  log_->info("call_id={} transfer refused status={} {}", info_.call_id, status, reason);
  return session_.reject_refer(status, std::move(reason)) == sip::SessionStatus::Ok;
}

bool Leg::report_transfer(TransferProgress progress) {
  switch (progress) {
    case TransferProgress::trying:
      return session_.notify_refer(100, "Trying") == sip::SessionStatus::Ok;
    case TransferProgress::succeeded:
      return session_.notify_refer(200, "OK") == sip::SessionStatus::Ok;
    case TransferProgress::failed:
      return session_.notify_refer(503, "Service Unavailable") == sip::SessionStatus::Ok;
  }
  return false;
}

void Leg::on_ended(LegEnd why) {
  if (ended()) return;
  end_ = why;
  log_->info("call_id={} ended reason={}", info_.call_id, to_string(why));
  if (observer_ != nullptr) observer_->call_ended(info_, why, answered_ ? Answered::yes : Answered::no);
  release_media();
  timer_.cancel();
  wake(Wake::ended);
  answer_handler_ = nullptr;
  hold_handler_ = nullptr;
  transfer_handler_ = nullptr;
  background_done_ = nullptr;
  if (auto handler = std::move(end_handler_)) {
    end_handler_ = nullptr;
    handler(why);
  }
}

void Leg::wake(Wake why) {
  // Only the coroutine's current wait is woken; a wake with nobody waiting is dropped
  // (digits are kept in digits_, the end in end_).
  (void)waiter_.resume(why);
}

void Leg::release_media() {
  if (media_released_) return;
  media_released_ = true;
  (void)media_.destroy(media_session_);
}

}  // namespace kefu::call
