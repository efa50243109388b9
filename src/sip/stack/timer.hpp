#pragma once
// Timers behind an interface so the SIP timers (RFC 3261 §17 A-K, 2xx retransmission, glare
// retry) run on Asio in production and on a manual clock in tests, where time advances
// instantly and deterministically.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <queue>
#include <unordered_map>
#include <vector>

namespace kefu::sip {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;
using Duration = SteadyClock::duration;

struct TimerId {
  std::uint64_t value = 0;
  explicit operator bool() const { return value != 0; }
};

class TimerService {
 public:
  using Callback = std::function<void()>;
  virtual ~TimerService() = default;
  virtual TimePoint now() const = 0;
  // Runs `callback` once, `delay` from now, on the owning loop. Never runs it re-entrantly
  // from inside start() itself, even with a zero delay.
  virtual TimerId start(Duration delay, Callback callback) = 0;
  // No effect when the timer already ran or was cancelled.
  virtual void cancel(TimerId id) = 0;
};

// A timer slot owned by an object: starting it again replaces the previous timer, and the
// timer is cancelled when the owner is destroyed, so a callback never outlives its owner.
class ScopedTimer {
 public:
  explicit ScopedTimer(TimerService& service) : service_(&service) {}
  // Not movable: the running callback refers to this slot.
  ScopedTimer(const ScopedTimer&) = delete;
  ScopedTimer& operator=(const ScopedTimer&) = delete;
  ~ScopedTimer() { cancel(); }

  void start(Duration delay, TimerService::Callback callback) {
    cancel();
    id_ = service_->start(delay, [this, callback = std::move(callback)] {
      id_ = TimerId{};
      callback();
    });
  }
  void cancel() {
    if (id_) service_->cancel(id_);
    id_ = TimerId{};
  }
  bool running() const { return static_cast<bool>(id_); }

 private:
  TimerService* service_;
  TimerId id_;
};

// Deadline-ordered timers with lazy cancellation; ties run in start order. Shared by the
// Asio and virtual implementations.
class TimerQueue {
 public:
  TimerId add(TimePoint deadline, TimerService::Callback callback);
  void cancel(TimerId id) { callbacks_.erase(id.value); }
  // Earliest deadline of a live timer.
  std::optional<TimePoint> next_deadline();
  // Removes the earliest live timer due at or before `now` and returns its callback.
  std::optional<TimerService::Callback> pop_due(TimePoint now);
  std::size_t size() const { return callbacks_.size(); }

 private:
  struct Entry {
    TimePoint deadline;
    std::uint64_t id;
    bool operator>(const Entry& other) const {
      return deadline != other.deadline ? deadline > other.deadline : id > other.id;
    }
  };
  void drop_cancelled();

  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap_;
  std::unordered_map<std::uint64_t, TimerService::Callback> callbacks_;
  std::uint64_t next_id_ = 1;
};

// Manual clock for tests: nothing runs until advance() or run_due() is called.
class VirtualClock final : public TimerService {
 public:
  VirtualClock() = default;
  TimePoint now() const override { return now_; }
  TimerId start(Duration delay, Callback callback) override;
  void cancel(TimerId id) override { queue_.cancel(id); }

  // Moves time forward by `by`, running every timer that falls due on the way in deadline
  // order (timers started by those callbacks included). Returns how many ran.
  std::size_t advance(Duration by);
  // Runs the timers due now (zero-delay ones included).
  std::size_t run_due() { return advance(Duration::zero()); }
  std::optional<TimePoint> next_deadline() { return queue_.next_deadline(); }
  std::size_t pending() const { return queue_.size(); }

 private:
  TimePoint now_ = TimePoint{} + std::chrono::hours(1);
  TimerQueue queue_;
};

}  // namespace kefu::sip
