#include "sip/auth/failure_throttle.hpp"

namespace kefu::sip {

FailureThrottle::FailureThrottle(ThrottleConfig config, SteadyNow now)
    : config_(config), now_(std::move(now)) {
  if (config_.max_failures == 0) config_.max_failures = 1;
  if (config_.max_tracked_addresses == 0) config_.max_tracked_addresses = 1;
}

bool FailureThrottle::is_blocked(std::string_view ip) const {
  auto it = by_address_.find(std::string(ip));
  if (it == by_address_.end()) return false;
  const Entry& entry = *it->second;
  return entry.blocked && now_() < entry.blocked_until;
}

void FailureThrottle::record_failure(std::string_view ip) {
  const auto now = now_();
  auto it = by_address_.find(std::string(ip));
  if (it == by_address_.end()) {
    while (by_address_.size() >= config_.max_tracked_addresses) {
      by_address_.erase(recent_.back().ip);
      recent_.pop_back();
    }
    recent_.push_front(Entry{std::string(ip), {}, {}, false});
    it = by_address_.emplace(std::string(ip), recent_.begin()).first;
  } else {
    recent_.splice(recent_.begin(), recent_, it->second);
  }
  Entry& entry = *it->second;
  if (entry.blocked) {
    if (now < entry.blocked_until) return;  // already refused; nothing more to count
    entry.blocked = false;                  // the block ran out: start counting afresh
    entry.failures.clear();
  }
  while (!entry.failures.empty() && now - entry.failures.front() > config_.window) {
    entry.failures.pop_front();
  }
  entry.failures.push_back(now);
  if (entry.failures.size() >= config_.max_failures) {
    entry.blocked = true;
    entry.blocked_until = now + config_.block;
    entry.failures.clear();
  }
}

}  // namespace kefu::sip
