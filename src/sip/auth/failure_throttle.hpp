#pragma once
// Per-source-address brute-force throttle for digest authentication: after `max_failures`
// failed authentications from one IP address within `window`, every authenticated request
// from that address is refused for `block`. Keyed by address only, so a failure from one
// address never locks out another address or the user. Memory is bounded: the least
// recently failing addresses are forgotten first.
#include <chrono>
#include <cstddef>
#include <deque>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

#include "sip/auth/nonce.hpp"

namespace kefu::sip {

struct ThrottleConfig {
  std::size_t max_failures = 10;
  std::chrono::seconds window{60};
  std::chrono::seconds block{300};
  std::size_t max_tracked_addresses = 4096;
};

class FailureThrottle {
 public:
  FailureThrottle(ThrottleConfig config, SteadyNow now);

  bool is_blocked(std::string_view ip) const;
  void record_failure(std::string_view ip);
  std::size_t tracked_addresses() const { return by_address_.size(); }
  const ThrottleConfig& config() const { return config_; }

 private:
  struct Entry {
    std::string ip;
    std::deque<std::chrono::steady_clock::time_point> failures;  // at most max_failures
    std::chrono::steady_clock::time_point blocked_until{};
    bool blocked = false;
  };
  ThrottleConfig config_;
  SteadyNow now_;
  std::list<Entry> recent_;  // most recently failing first
  std::unordered_map<std::string, std::list<Entry>::iterator> by_address_;
};

}  // namespace kefu::sip
