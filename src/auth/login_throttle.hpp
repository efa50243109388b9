#pragma once
// Throttling of failed logins, built so that an attacker cannot use it to lock a real user out.
//
// The rule:
//  - Failures are counted per (login, client address) and per client address, never per login
//    alone: failures from address A never delay attempts from address B, so guessing an
//    agent's password from elsewhere cannot stop the agent from signing in at their desk.
//  - Each key allows `free_failures` failures; from then on every further attempt waits an
//    exponentially growing delay after the last failure: first_delay, 2x, 4x, … capped at
//    max_delay. Per (login, address) the free allowance is small (5: a user mistyping); per
//    address it is large (50: an office behind one NAT address), which stops one address from
//    spraying many logins.
//  - An attempt made while waiting is refused without checking the password (a correct guess
//    during the delay is not recognised) and does not extend the delay.
//  - An attempt allowed to go on counts as a failure from the start (so that many attempts sent
//    at once cannot all get past the limit while their passwords are being checked); a success
//    then clears its (login, address) key and takes back its own count from the address key,
//    so signing in to an account of one's own never lowers the count of other failures. A key
//    with no failure for `forget_after` starts over.
//  - Distributed guessing of one login from many addresses is slowed by argon2id's cost and
//    each address's own allowance, not by a per-login lock (which would be the lock-out).
// Memory is bounded: the least recently failing keys are forgotten first. Thread-safe.
#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "auth/types.hpp"

namespace kefu::auth {

struct ThrottlePolicy {
  int free_failures_per_login = 5;     // per (login, client address)
  int free_failures_per_address = 50;  // per client address, any login
  Millis first_delay{1000};
  Millis max_delay{15 * 60 * 1000};
  Millis forget_after{60 * 60 * 1000};
  std::size_t max_tracked_keys = 100000;
};

class LoginThrottle {
 public:
  LoginThrottle(ThrottlePolicy policy, Clock clock);

  // How long an attempt for `login` from `address` must still wait; nullopt: check it now, and
  // the attempt is counted as failed until record_success().
  std::optional<Millis> begin_attempt(std::string_view login, std::string_view address);
  void record_success(std::string_view login, std::string_view address);

  std::size_t tracked_keys() const;
  const ThrottlePolicy& policy() const { return policy_; }

 private:
  struct Entry {
    std::string key;
    int failures = 0;
    Timestamp last_failure{};
  };
  using Entries = std::list<Entry>;

  std::optional<Millis> wait_for(const std::string& key, int free_failures, Timestamp now);
  void add_failure(const std::string& key, Timestamp now);
  std::optional<Millis> wait(std::string_view login, std::string_view address, Timestamp now);
  Entry* live_entry(const std::string& key, Timestamp now);

  ThrottlePolicy policy_;
  Clock clock_;
  mutable std::mutex mutex_;
  Entries recent_;  // most recently failing first
  std::unordered_map<std::string, Entries::iterator> by_key_;
};

// The key's login part: logins compare case-insensitively (ASCII) at sign-in.
std::string normalize_login(std::string_view login);

}  // namespace kefu::auth
