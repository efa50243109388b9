#pragma once
// TimerService on a boost::asio::io_context: one steady_timer armed at the earliest deadline.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>

#include "sip/stack/timer.hpp"

namespace kefu::sip {

class AsioTimerService final : public TimerService {
 public:
  explicit AsioTimerService(boost::asio::io_context& io);
  ~AsioTimerService() override;
  AsioTimerService(const AsioTimerService&) = delete;
  AsioTimerService& operator=(const AsioTimerService&) = delete;

  TimePoint now() const override { return SteadyClock::now(); }
  TimerId start(Duration delay, Callback callback) override;
  void cancel(TimerId id) override { queue_.cancel(id); }

 private:
  void arm();
  void on_expiry();

  boost::asio::steady_timer timer_;
  TimerQueue queue_;
  std::optional<TimePoint> armed_for_;
  // Late completions after destruction see `false` and return without touching `this`.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace kefu::sip
