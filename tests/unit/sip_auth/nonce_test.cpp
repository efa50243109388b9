// Stateless nonces and nonce-count replay tracking.
#include "sip/auth/nonce.hpp"

#include <gtest/gtest.h>

#include "auth_test_support.hpp"

namespace kefu::sip {
namespace {

using namespace std::chrono_literals;
using test::VirtualClock;

TEST(NonceIssuer, FreshForTheAddressItWasIssuedTo) {
  VirtualClock clock;
  NonceIssuer issuer("secret", 300s, clock.function());
  std::string nonce = issuer.issue("192.0.2.10");
  EXPECT_EQ(nonce.size(), 64u);
  CheckedNonce checked = issuer.check(nonce, "192.0.2.10");
  EXPECT_EQ(checked.state, NonceState::Fresh);
  EXPECT_EQ(checked.issued_at, std::chrono::time_point_cast<std::chrono::milliseconds>(clock.now));
  EXPECT_EQ(issuer.check(nonce, "192.0.2.11").state, NonceState::Invalid);
  EXPECT_NE(issuer.issue("192.0.2.10"), nonce);  // random part differs
}

TEST(NonceIssuer, ExpiresAfterItsLifetime) {
  VirtualClock clock;
  NonceIssuer issuer("secret", 300s, clock.function());
  std::string nonce = issuer.issue("192.0.2.10");
  clock.advance(300s);
  EXPECT_EQ(issuer.check(nonce, "192.0.2.10").state, NonceState::Fresh);
  clock.advance(1ms);
  EXPECT_EQ(issuer.check(nonce, "192.0.2.10").state, NonceState::Expired);
  clock.advance(24h);
  EXPECT_EQ(issuer.check(nonce, "192.0.2.10").state, NonceState::Expired);
}

TEST(NonceIssuer, RejectsForgedAndMalformed) {
  VirtualClock clock;
  NonceIssuer issuer("secret", 300s, clock.function());
  NonceIssuer other("another secret", 300s, clock.function());
  std::string nonce = issuer.issue("192.0.2.10");
  EXPECT_EQ(other.check(nonce, "192.0.2.10").state, NonceState::Invalid);

  for (std::size_t i : {0u, 20u, 63u}) {  // time, random and MAC parts
    std::string tampered = nonce;
    tampered[i] = tampered[i] == '0' ? '1' : '0';
    EXPECT_EQ(issuer.check(tampered, "192.0.2.10").state, NonceState::Invalid) << i;
  }
  std::string upper = nonce;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper != nonce) {
    EXPECT_EQ(issuer.check(upper, "192.0.2.10").state, NonceState::Invalid);
  }
  EXPECT_EQ(issuer.check(nonce.substr(1), "192.0.2.10").state, NonceState::Invalid);
  EXPECT_EQ(issuer.check(nonce + "0", "192.0.2.10").state, NonceState::Invalid);
  EXPECT_EQ(issuer.check("", "192.0.2.10").state, NonceState::Invalid);
  EXPECT_EQ(issuer.check(std::string(64, 'g'), "192.0.2.10").state, NonceState::Invalid);
}

TEST(NonceIssuer, NonceFromTheFutureIsInvalid) {
  VirtualClock clock;
  NonceIssuer issuer("secret", 300s, clock.function());
  std::string nonce = issuer.issue("192.0.2.10");
  clock.advance(-1s);
  EXPECT_EQ(issuer.check(nonce, "192.0.2.10").state, NonceState::Invalid);
}

TEST(NonceIssuer, EmptySecretIsRandomPerInstance) {
  VirtualClock clock;
  NonceIssuer a("", 300s, clock.function());
  NonceIssuer b("", 300s, clock.function());
  std::string nonce = a.issue("192.0.2.10");
  EXPECT_EQ(a.check(nonce, "192.0.2.10").state, NonceState::Fresh);
  EXPECT_EQ(b.check(nonce, "192.0.2.10").state, NonceState::Invalid);
}

TEST(NonceIssuer, SharedSecretWorksAcrossInstances) {
  VirtualClock clock;
  NonceIssuer a("shared", 300s, clock.function());
  NonceIssuer b("shared", 300s, clock.function());
  EXPECT_EQ(b.check(a.issue("2001:db8::1"), "2001:db8::1").state, NonceState::Fresh);
}

using Verdict = NonceCountTracker::Verdict;

TEST(NonceCountTracker, SequentialAndReplayed) {
  NonceCountTracker tracker(16);
  auto t = std::chrono::steady_clock::time_point(1h);
  EXPECT_EQ(tracker.accept("n", t, 1), Verdict::Accepted);
  EXPECT_EQ(tracker.accept("n", t, 1), Verdict::Replayed);
  EXPECT_EQ(tracker.accept("n", t, 2), Verdict::Accepted);
  EXPECT_EQ(tracker.accept("n", t, 2), Verdict::Replayed);
  EXPECT_EQ(tracker.accept("n", t, 0), Verdict::Replayed);
  EXPECT_EQ(tracker.accept("other", t, 1), Verdict::Accepted);  // counts are per nonce
}

TEST(NonceCountTracker, OutOfOrderWithinTheWindow) {
  NonceCountTracker tracker(16);
  auto t = std::chrono::steady_clock::time_point(1h);
  EXPECT_EQ(tracker.accept("n", t, 5), Verdict::Accepted);
  EXPECT_EQ(tracker.accept("n", t, 3), Verdict::Accepted);
  EXPECT_EQ(tracker.accept("n", t, 4), Verdict::Accepted);
  EXPECT_EQ(tracker.accept("n", t, 3), Verdict::Replayed);
  EXPECT_EQ(tracker.accept("n", t, 100), Verdict::Accepted);
  EXPECT_EQ(tracker.accept("n", t, 37), Verdict::Accepted);  // 63 behind: still in window
  EXPECT_EQ(tracker.accept("n", t, 36), Verdict::Replayed);  // 64 behind: too old to tell
  EXPECT_EQ(tracker.accept("n", t, 5), Verdict::Replayed);
  EXPECT_EQ(tracker.accept("n", t, 0xffffffffu), Verdict::Accepted);
  EXPECT_EQ(tracker.accept("n", t, 0xffffffffu), Verdict::Replayed);
}

TEST(NonceCountTracker, EvictionNeverReopensAReplay) {
  NonceCountTracker tracker(2);
  auto t1 = std::chrono::steady_clock::time_point(1h);
  auto t2 = t1 + 1s;
  auto t3 = t1 + 2s;
  EXPECT_EQ(tracker.accept("n1", t1, 1), Verdict::Accepted);
  EXPECT_EQ(tracker.accept("n2", t2, 1), Verdict::Accepted);
  EXPECT_EQ(tracker.accept("n3", t3, 1), Verdict::Accepted);  // evicts n1
  EXPECT_EQ(tracker.size(), 2u);
  EXPECT_EQ(tracker.accept("n1", t1, 1), Verdict::Forgotten);  // not "new" again
  EXPECT_EQ(tracker.accept("n1", t1, 2), Verdict::Forgotten);
  EXPECT_EQ(tracker.accept("n4", t1 + 3s, 1), Verdict::Accepted);  // newer nonces still fine
  EXPECT_EQ(tracker.accept("old-unseen", t1 - 1s, 1), Verdict::Forgotten);
  EXPECT_LE(tracker.size(), 2u);
}

TEST(NonceCountTracker, ForgetsExpiredNonces) {
  NonceCountTracker tracker(100);
  auto t = std::chrono::steady_clock::time_point(1h);
  tracker.accept("a", t, 1);
  tracker.accept("b", t + 10s, 1);
  tracker.forget_issued_before(t + 5s);
  EXPECT_EQ(tracker.size(), 1u);
  EXPECT_EQ(tracker.accept("b", t + 10s, 1), Verdict::Replayed);
}

}  // namespace
}  // namespace kefu::sip
