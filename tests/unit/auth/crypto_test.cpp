#include <gtest/gtest.h>

#include <bit>
#include <set>

#include "auth/crypto.hpp"

namespace kefu::auth {
namespace {

TEST(Crypto, PasswordHashIsArgon2idAndVerifies) {
  const std::string hash = hash_password("correct horse", PasswordCost::minimal());
  EXPECT_TRUE(hash.starts_with("$argon2id$")) << hash;
  EXPECT_EQ(hash.find("correct horse"), std::string::npos);
  EXPECT_TRUE(verify_password(hash, "correct horse"));
  EXPECT_FALSE(verify_password(hash, "correct horsE"));
  EXPECT_FALSE(verify_password(hash, ""));
}

TEST(Crypto, SamePasswordHashesDifferently) {
  // A random salt per hash: equal passwords do not show up as equal hashes.
  EXPECT_NE(hash_password("password1", PasswordCost::minimal()),
            hash_password("password1", PasswordCost::minimal()));
}

TEST(Crypto, VerifyRefusesWhatIsNotAHash) {
  EXPECT_FALSE(verify_password("", "x"));
  EXPECT_FALSE(verify_password("plain text password", "plain text password"));
  EXPECT_FALSE(verify_password(std::string(500, 'a'), "a"));
}

TEST(Crypto, RehashNeededWhenTheCostChanges) {
  const std::string cheap = hash_password("password1", PasswordCost::minimal());
  EXPECT_FALSE(password_needs_rehash(cheap, PasswordCost::minimal()));
  EXPECT_TRUE(password_needs_rehash(cheap, PasswordCost::interactive()));
  EXPECT_TRUE(password_needs_rehash("garbage", PasswordCost::minimal()));
}

TEST(Crypto, RandomTokensAreUniqueHexOfTheRightLength) {
  std::set<std::string> seen;
  std::size_t ones = 0;
  constexpr int count = 2000;
  for (int i = 0; i < count; ++i) {
    const std::string token = random_hex(16);
    ASSERT_EQ(token.size(), 32u);
    ASSERT_EQ(token.find_first_not_of("0123456789abcdef"), std::string::npos) << token;
    seen.insert(token);
    for (char c : token) {
      const int nibble = c <= '9' ? c - '0' : c - 'a' + 10;
      ones += static_cast<std::size_t>(std::popcount(static_cast<unsigned>(nibble)));
    }
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(count));
  // 256 000 random bits: half are ones, within far more than 6 standard deviations (~253).
  const double share = static_cast<double>(ones) / (count * 128.0);
  EXPECT_GT(share, 0.49);
  EXPECT_LT(share, 0.51);
}

TEST(Crypto, Sha256KnownAnswer) {
  // FIPS 180-2, appendix B.1.
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Crypto, ConstantTimeEquality) {
  EXPECT_TRUE(equal_in_constant_time("abc", "abc"));
  EXPECT_FALSE(equal_in_constant_time("abc", "abd"));
  EXPECT_FALSE(equal_in_constant_time("abc", "abcd"));
}

}  // namespace
}  // namespace kefu::auth
