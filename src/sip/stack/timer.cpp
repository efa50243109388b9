#include "sip/stack/timer.hpp"

namespace kefu::sip {

TimerId TimerQueue::add(TimePoint deadline, TimerService::Callback callback) {
  const std::uint64_t id = next_id_++;
  heap_.push(Entry{deadline, id});
  callbacks_.emplace(id, std::move(callback));
  return TimerId{id};
}

void TimerQueue::drop_cancelled() {
  while (!heap_.empty() && !callbacks_.contains(heap_.top().id)) heap_.pop();
}

std::optional<TimePoint> TimerQueue::next_deadline() {
  drop_cancelled();
  if (heap_.empty()) return std::nullopt;
  return heap_.top().deadline;
}

std::optional<TimerService::Callback> TimerQueue::pop_due(TimePoint now) {
  drop_cancelled();
  if (heap_.empty() || heap_.top().deadline > now) return std::nullopt;
  const std::uint64_t id = heap_.top().id;
  heap_.pop();
  auto node = callbacks_.extract(id);
  return std::move(node.mapped());
}

TimerId VirtualClock::start(Duration delay, Callback callback) {
  if (delay < Duration::zero()) delay = Duration::zero();
  return queue_.add(now_ + delay, std::move(callback));
}

std::size_t VirtualClock::advance(Duration by) {
  const TimePoint target = now_ + by;
  // Bounded so that a callback re-arming itself with zero delay fails a test instead of
  // hanging it.
  constexpr std::size_t kMaxRuns = 10'000'000;
  std::size_t runs = 0;
  while (runs < kMaxRuns) {
    const auto deadline = queue_.next_deadline();
    if (!deadline || *deadline > target) break;
    if (*deadline > now_) now_ = *deadline;
    auto callback = queue_.pop_due(now_);
    if (!callback) break;
    ++runs;
    (*callback)();
  }
  if (target > now_) now_ = target;
  return runs;
}

}  // namespace kefu::sip
