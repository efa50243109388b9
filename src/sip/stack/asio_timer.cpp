#include "sip/stack/asio_timer.hpp"

namespace kefu::sip {

AsioTimerService::AsioTimerService(boost::asio::io_context& io) : timer_(io) {}

AsioTimerService::~AsioTimerService() {
  *alive_ = false;
  timer_.cancel();
}

TimerId AsioTimerService::start(Duration delay, Callback callback) {
  if (delay < Duration::zero()) delay = Duration::zero();
  const TimerId id = queue_.add(SteadyClock::now() + delay, std::move(callback));
  arm();
  return id;
}

void AsioTimerService::arm() {
  const auto next = queue_.next_deadline();
  if (!next) return;
  if (armed_for_ && *armed_for_ <= *next) return;  // already wakes up early enough
  armed_for_ = *next;
  timer_.expires_at(*next);
  timer_.async_wait([this, alive = alive_](const boost::system::error_code& error) {
    if (!*alive || error == boost::asio::error::operation_aborted) return;
    on_expiry();
  });
}

void AsioTimerService::on_expiry() {
  armed_for_.reset();
  const TimePoint now = SteadyClock::now();
  // Run only what is due now; timers started by these callbacks wait for the next expiry,
  // so a zero-delay timer never starves the loop.
  std::size_t budget = queue_.size();
  while (budget-- > 0) {
    auto callback = queue_.pop_due(now);
    if (!callback) break;
    (*callback)();
    if (!*alive_) return;
  }
  arm();
}

}  // namespace kefu::sip
