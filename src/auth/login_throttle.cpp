#include "auth/login_throttle.hpp"

#include <algorithm>

namespace kefu::auth {
namespace {

std::string login_key(std::string_view login, std::string_view address) {
  // '\n' cannot occur in an address; the login comes last so it cannot forge another key.
  return "L\n" + std::string(address) + "\n" + normalize_login(login);
}

std::string address_key(std::string_view address) {
  return "A\n" + std::string(address);
}

}  // namespace

std::string normalize_login(std::string_view login) {
  std::string out(login);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

LoginThrottle::LoginThrottle(ThrottlePolicy policy, Clock clock)
    : policy_(policy), clock_(std::move(clock)) {
  // Each failure touches two keys: fewer than two tracked would forget the one being counted.
  policy_.max_tracked_keys = std::max<std::size_t>(policy_.max_tracked_keys, 2);
}

LoginThrottle::Entry* LoginThrottle::live_entry(const std::string& key, Timestamp now) {
  auto found = by_key_.find(key);
  if (found == by_key_.end()) return nullptr;
  if (now - found->second->last_failure >= policy_.forget_after) {
    recent_.erase(found->second);
    by_key_.erase(found);
    return nullptr;
  }
  return &*found->second;
}

std::optional<Millis> LoginThrottle::wait_for(const std::string& key, int free_failures,
                                              Timestamp now) {
  const Entry* entry = live_entry(key, now);
  if (entry == nullptr || entry->failures < free_failures) return std::nullopt;
  // Doubling from first_delay; the exponent is capped before shifting so it cannot overflow.
  const int doublings = std::min(entry->failures - free_failures, 30);
  const Millis delay =
      std::min<Millis>(policy_.max_delay, policy_.first_delay * (1LL << doublings));
  const Timestamp until = entry->last_failure + delay;
  if (now >= until) return std::nullopt;
  return until - now;
}

std::optional<Millis> LoginThrottle::wait(std::string_view login, std::string_view address,
                                          Timestamp now) {
  auto by_login = wait_for(login_key(login, address), policy_.free_failures_per_login, now);
  auto by_address = wait_for(address_key(address), policy_.free_failures_per_address, now);
  if (by_login && by_address) return std::max(*by_login, *by_address);
  return by_login ? by_login : by_address;
}

void LoginThrottle::add_failure(const std::string& key, Timestamp now) {
  Entry* entry = live_entry(key, now);
  if (entry == nullptr) {
    recent_.push_front(Entry{key, 0, now});
    by_key_[key] = recent_.begin();
    while (by_key_.size() > policy_.max_tracked_keys) {
      by_key_.erase(recent_.back().key);
      recent_.pop_back();
    }
    entry = &recent_.front();
  } else {
    recent_.splice(recent_.begin(), recent_, by_key_[key]);
  }
  entry->failures += 1;
  entry->last_failure = now;
}

std::optional<Millis> LoginThrottle::begin_attempt(std::string_view login,
                                                   std::string_view address) {
  std::lock_guard lock(mutex_);
  const Timestamp now = clock_();
  if (auto waiting = wait(login, address, now)) return waiting;
  add_failure(login_key(login, address), now);
  add_failure(address_key(address), now);
  return std::nullopt;
}

void LoginThrottle::record_success(std::string_view login, std::string_view address) {
  std::lock_guard lock(mutex_);
  if (auto found = by_key_.find(login_key(login, address)); found != by_key_.end()) {
    recent_.erase(found->second);
    by_key_.erase(found);
  }
  if (auto found = by_key_.find(address_key(address)); found != by_key_.end()) {
    if (--found->second->failures <= 0) {
      recent_.erase(found->second);
      by_key_.erase(found);
    }
  }
}

std::size_t LoginThrottle::tracked_keys() const {
  std::lock_guard lock(mutex_);
  return by_key_.size();
}

}  // namespace kefu::auth
