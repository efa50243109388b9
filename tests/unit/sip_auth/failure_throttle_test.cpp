// Per-address brute-force throttle.
#include "sip/auth/failure_throttle.hpp"

#include <gtest/gtest.h>

#include "auth_test_support.hpp"

namespace kefu::sip {
namespace {

using namespace std::chrono_literals;
using test::VirtualClock;

TEST(FailureThrottle, TenFailuresWithinAMinuteBlockForFiveMinutes) {
  VirtualClock clock;
  FailureThrottle throttle(ThrottleConfig{}, clock.function());
  for (int i = 0; i < 9; ++i) {
    throttle.record_failure("192.0.2.66");
    clock.advance(6s);
  }
  EXPECT_FALSE(throttle.is_blocked("192.0.2.66"));  // 9 failures over 54 s
  throttle.record_failure("192.0.2.66");            // the 10th, 54 s after the first
  EXPECT_TRUE(throttle.is_blocked("192.0.2.66"));
  EXPECT_FALSE(throttle.is_blocked("192.0.2.67"));  // never another address
  clock.advance(300s - 1ms);
  EXPECT_TRUE(throttle.is_blocked("192.0.2.66"));
  clock.advance(1ms);
  EXPECT_FALSE(throttle.is_blocked("192.0.2.66"));
  // Counting starts afresh after the block.
  for (int i = 0; i < 9; ++i) throttle.record_failure("192.0.2.66");
  EXPECT_FALSE(throttle.is_blocked("192.0.2.66"));
  throttle.record_failure("192.0.2.66");
  EXPECT_TRUE(throttle.is_blocked("192.0.2.66"));
}

TEST(FailureThrottle, SlowFailuresNeverBlock) {
  VirtualClock clock;
  FailureThrottle throttle(ThrottleConfig{}, clock.function());
  for (int i = 0; i < 100; ++i) {
    throttle.record_failure("192.0.2.66");
    EXPECT_FALSE(throttle.is_blocked("192.0.2.66")) << i;
    clock.advance(6700ms);  // 10 failures span just over 60 s
  }
}

TEST(FailureThrottle, ConfigurableThresholds) {
  VirtualClock clock;
  ThrottleConfig config;
  config.max_failures = 3;
  config.window = 10s;
  config.block = 20s;
  FailureThrottle throttle(config, clock.function());
  throttle.record_failure("a");
  throttle.record_failure("a");
  EXPECT_FALSE(throttle.is_blocked("a"));
  throttle.record_failure("a");
  EXPECT_TRUE(throttle.is_blocked("a"));
  clock.advance(20s);
  EXPECT_FALSE(throttle.is_blocked("a"));
}

TEST(FailureThrottle, MemoryIsBoundedOldestForgottenFirst) {
  VirtualClock clock;
  ThrottleConfig config;
  config.max_failures = 2;
  config.max_tracked_addresses = 3;
  FailureThrottle throttle(config, clock.function());
  throttle.record_failure("a");
  throttle.record_failure("a");  // blocked
  throttle.record_failure("b");
  throttle.record_failure("c");
  throttle.record_failure("d");  // evicts a: the least recently failing
  EXPECT_EQ(throttle.tracked_addresses(), 3u);
  EXPECT_FALSE(throttle.is_blocked("a"));
  for (int i = 0; i < 10000; ++i) throttle.record_failure("x" + std::to_string(i));
  EXPECT_EQ(throttle.tracked_addresses(), 3u);
}

TEST(FailureThrottle, RecentFailureKeepsAnAddressTracked) {
  VirtualClock clock;
  ThrottleConfig config;
  config.max_failures = 2;
  config.max_tracked_addresses = 2;
  FailureThrottle throttle(config, clock.function());
  throttle.record_failure("a");
  throttle.record_failure("b");
  throttle.record_failure("a");  // a blocked and most recent
  throttle.record_failure("c");  // evicts b
  EXPECT_TRUE(throttle.is_blocked("a"));
}

}  // namespace
}  // namespace kefu::sip
