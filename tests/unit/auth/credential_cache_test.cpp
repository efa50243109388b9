#include "auth/credential_cache.hpp"

#include <gtest/gtest.h>

namespace kefu::auth {
namespace {

using namespace std::chrono_literals;

const Timestamp t0{Millis{1'700'000'000'000}};

VerifiedCredential verified(const std::string& login, std::uint64_t generation,
                            Timestamp valid_until = Timestamp::max()) {
  VerifiedCredential credential;
  credential.identity.login = login;
  credential.valid_until = valid_until;
  credential.generation = generation;
  return credential;
}

TEST(CredentialCacheTest, AHitWithinTheTimeToLiveAndAMissAfter) {
  CredentialCache cache(Millis{5000}, 100);
  EXPECT_FALSE(cache.find("token-a", 7, t0));
  cache.store("token-a", verified("1001", 7), t0);
  auto hit = cache.find("token-a", 7, t0 + 4999ms);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->login, "1001");
  EXPECT_FALSE(cache.find("token-b", 7, t0 + 1ms)) << "another credential";
  EXPECT_FALSE(cache.find("token-a", 7, t0 + 5000ms));
  EXPECT_EQ(cache.size(), 0u) << "a stale entry is dropped when found";
}

TEST(CredentialCacheTest, TheCredentialsOwnLimitCapsTheTimeToLive) {
  CredentialCache cache(Millis{5000}, 100);
  cache.store("token", verified("1001", 1, t0 + 2s), t0);
  EXPECT_TRUE(cache.find("token", 1, t0 + 1999ms));
  EXPECT_FALSE(cache.find("token", 1, t0 + 2s));
  cache.store("expired", verified("1002", 1, t0), t0);
  EXPECT_FALSE(cache.find("expired", 1, t0));
}

TEST(CredentialCacheTest, AnyChangeCountedSinceTheVerificationIsAMiss) {
  CredentialCache cache(Millis{5000}, 100);
  cache.store("token", verified("1001", 3), t0);
  EXPECT_TRUE(cache.find("token", 3, t0));
  EXPECT_FALSE(cache.find("token", 4, t0));
  EXPECT_FALSE(cache.find("token", 3, t0)) << "dropped at the miss";
}

TEST(CredentialCacheTest, AnOlderVerificationDoesNotReplaceANewerOne) {
  CredentialCache cache(Millis{5000}, 100);
  cache.store("token", verified("new", 5), t0);
  cache.store("token", verified("old", 4), t0);  // a slower look-up that began before a change
  auto hit = cache.find("token", 5, t0);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->login, "new");
}

TEST(CredentialCacheTest, StaysWithinItsCapacity) {
  CredentialCache cache(Millis{5000}, 3);
  cache.store("a", verified("a", 1), t0);
  cache.store("b", verified("b", 1, t0 + 1s), t0);
  cache.store("c", verified("c", 1), t0);
  cache.store("d", verified("d", 1), t0 + 2s);  // "b" has expired: it makes room
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_TRUE(cache.find("a", 1, t0 + 2s));
  EXPECT_TRUE(cache.find("d", 1, t0 + 2s));
  cache.store("e", verified("e", 1), t0 + 2s);  // all live: starts over
  EXPECT_LE(cache.size(), 3u);
  EXPECT_TRUE(cache.find("e", 1, t0 + 2s));
}

TEST(CredentialCacheTest, ATimeToLiveOfZeroKeepsNothing) {
  CredentialCache cache(Millis{0}, 100);
  cache.store("token", verified("1001", 1), t0);
  EXPECT_FALSE(cache.find("token", 1, t0));
  EXPECT_EQ(cache.size(), 0u);
}

}  // namespace
}  // namespace kefu::auth
