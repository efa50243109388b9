#include <gtest/gtest.h>

#include "auth/login_throttle.hpp"

namespace kefu::auth {
namespace {

using namespace std::chrono_literals;

class ThrottleTest : public ::testing::Test {
 protected:
  Timestamp now{Millis{1'700'000'000'000}};
  ThrottlePolicy policy;
  std::unique_ptr<LoginThrottle> throttle;

  void SetUp() override { make(); }
  void make() {
    throttle = std::make_unique<LoginThrottle>(policy, [this] { return now; });
  }
  // A failed attempt (allowed, then never cleared by a success).
  void fail(std::string_view login, std::string_view address) {
    ASSERT_FALSE(throttle->begin_attempt(login, address)) << login << " from " << address;
  }
};

TEST_F(ThrottleTest, FreeFailuresThenExponentialBackOff) {
  for (int i = 0; i < 5; ++i) fail("1001", "10.0.0.1");
  auto wait = throttle->begin_attempt("1001", "10.0.0.1");
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, 1000ms);
  now += 999ms;
  EXPECT_EQ(throttle->begin_attempt("1001", "10.0.0.1"), std::optional<Millis>(1ms))
      << "refused attempts do not extend the wait";
  now += 1ms;
  fail("1001", "10.0.0.1");  // the sixth failure: 2 s
  EXPECT_EQ(throttle->begin_attempt("1001", "10.0.0.1"), std::optional<Millis>(2000ms));
  now += 2s;
  fail("1001", "10.0.0.1");
  EXPECT_EQ(throttle->begin_attempt("1001", "10.0.0.1"), std::optional<Millis>(4000ms));
}

TEST_F(ThrottleTest, BackOffIsCapped) {
  for (int i = 0; i < 5; ++i) fail("1001", "10.0.0.1");
  for (int i = 0; i < 40; ++i) {
    now += policy.max_delay;
    fail("1001", "10.0.0.1");
  }
  EXPECT_EQ(throttle->begin_attempt("1001", "10.0.0.1"), std::optional<Millis>(policy.max_delay));
}

TEST_F(ThrottleTest, AnAttackerElsewhereCannotLockTheUserOut) {
  for (int i = 0; i < 5; ++i) fail("1001", "203.0.113.9");
  for (int i = 0; i < 100; ++i) {
    (void)throttle->begin_attempt("1001", "203.0.113.9");
    now += 1s;
  }
  (void)throttle->begin_attempt("1001", "203.0.113.9");
  EXPECT_TRUE(throttle->begin_attempt("1001", "203.0.113.9"));
  // The agent at their desk signs in at once.
  EXPECT_FALSE(throttle->begin_attempt("1001", "192.168.1.20"));
}

TEST_F(ThrottleTest, SuccessClearsTheLoginKey) {
  for (int i = 0; i < 4; ++i) fail("1001", "10.0.0.1");
  ASSERT_FALSE(throttle->begin_attempt("1001", "10.0.0.1"));
  throttle->record_success("1001", "10.0.0.1");
  for (int i = 0; i < 5; ++i) fail("1001", "10.0.0.1");
  EXPECT_TRUE(throttle->begin_attempt("1001", "10.0.0.1"));
}

TEST_F(ThrottleTest, OneAddressSprayingManyLoginsIsStopped) {
  for (int i = 0; i < 50; ++i) fail("user" + std::to_string(i), "198.51.100.7");
  EXPECT_TRUE(throttle->begin_attempt("someone-else", "198.51.100.7"));
  EXPECT_FALSE(throttle->begin_attempt("someone-else", "198.51.100.8"));
}

TEST_F(ThrottleTest, SigningInToOnesOwnAccountDoesNotResetTheAddressCount) {
  for (int i = 0; i < 49; ++i) fail("victim" + std::to_string(i), "198.51.100.7");
  for (int i = 0; i < 10; ++i) {
    ASSERT_FALSE(throttle->begin_attempt("attacker", "198.51.100.7"));
    throttle->record_success("attacker", "198.51.100.7");
  }
  fail("victim-last", "198.51.100.7");
  EXPECT_TRUE(throttle->begin_attempt("victim-more", "198.51.100.7"));
}

TEST_F(ThrottleTest, ManyAttemptsAtOnceCannotAllGetThrough) {
  // Five attempts in flight (none finished): the sixth waits.
  for (int i = 0; i < 5; ++i) ASSERT_FALSE(throttle->begin_attempt("1001", "10.0.0.1"));
  EXPECT_TRUE(throttle->begin_attempt("1001", "10.0.0.1"));
}

TEST_F(ThrottleTest, LoginsCompareWithoutCase) {
  for (int i = 0; i < 5; ++i) fail(i % 2 ? "Admin" : "admin", "10.0.0.1");
  EXPECT_TRUE(throttle->begin_attempt("ADMIN", "10.0.0.1"));
}

TEST_F(ThrottleTest, FailuresAreForgottenAfterAQuietHour) {
  for (int i = 0; i < 5; ++i) fail("1001", "10.0.0.1");
  now += policy.forget_after;
  EXPECT_FALSE(throttle->begin_attempt("1001", "10.0.0.1"));
}

TEST_F(ThrottleTest, MemoryIsBounded) {
  policy.max_tracked_keys = 10;
  make();
  for (int i = 0; i < 100; ++i) fail("user" + std::to_string(i), "10.0.0." + std::to_string(i));
  EXPECT_LE(throttle->tracked_keys(), 10u);
}

}  // namespace
}  // namespace kefu::auth
