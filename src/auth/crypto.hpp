#pragma once
// Password hashing and random tokens, through libsodium. Passwords are stored as argon2id
// strings (crypto_pwhash_str: algorithm, cost and salt inside the string, so a cost raised
// later still verifies old hashes). Session tokens and API keys come from the OS's CSPRNG and
// are stored as their SHA-256 only: a copy of the database gives no live credential.
#include <cstddef>
#include <string>
#include <string_view>

namespace kefu::auth {

// argon2id work factors. `interactive` is libsodium's recommendation for logins (64 MiB, about
// 0.1 s on one core); `minimal` is for tests only.
struct PasswordCost {
  unsigned long long operations = 0;
  std::size_t memory_bytes = 0;
  static PasswordCost interactive();
  static PasswordCost minimal();
};

// Throws std::runtime_error when libsodium cannot start or the hash cannot be computed (out of
// memory): a control path.
std::string hash_password(std::string_view password, PasswordCost cost);
// False for a wrong password and for a string that is not an argon2id hash.
bool verify_password(std::string_view stored_hash, std::string_view password);
// Whether a stored hash was made with other parameters than `cost` (rehash at the next login).
bool password_needs_rehash(std::string_view stored_hash, PasswordCost cost);

// `bytes` random bytes as lower-case hex (2 characters per byte).
std::string random_hex(std::size_t bytes);
// SHA-256 of `data` as lower-case hex.
std::string sha256_hex(std::string_view data);
// Comparison whose time does not depend on where the strings differ (tokens, CSRF values).
bool equal_in_constant_time(std::string_view a, std::string_view b);

}  // namespace kefu::auth
