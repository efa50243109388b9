#pragma once
// Credentials already verified against the database, kept for a few seconds so that a burst of
// API requests does not queue one session look-up each on the storage writer (ADR 0011).
//
// An entry is used only while all of these hold: its time is not up (the cache's time to live,
// capped by the session's own absolute and idle limits), and nothing has changed since it was
// verified that could end or change a credential — logout, a user disabled, edited or given a
// new password, a department added, a key revoked. AuthService counts such changes
// (`credential_generation`); an entry verified under an older count is a miss. Everything that
// changes users goes through AuthService in this process, so that count is complete; the time to
// live bounds what another process writing to the same database could leave stale.
//
// Keys are the credentials' SHA-256: the raw tokens are not kept in memory longer than a request.
// Thread-safe (one mutex; look-ups are a hash and a map probe).
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "auth/permissions.hpp"
#include "auth/types.hpp"

namespace kefu::auth {

struct VerifiedCredential {
  Identity identity;
  Timestamp valid_until{};     // never later than the session's own limits
  std::uint64_t generation{};  // AuthService::credential_generation() read before verifying
};

class CredentialCache {
 public:
  // ttl 0 turns the cache off.
  CredentialCache(Millis ttl, std::size_t capacity);

  Millis ttl() const { return ttl_; }

  std::optional<Identity> find(std::string_view credential, std::uint64_t current_generation,
                               Timestamp now);
  // Keeps `verified` until min(now + ttl, verified.valid_until). Ignored when off, already stale,
  // or verified under an older generation than an entry stored meanwhile.
  void store(std::string_view credential, VerifiedCredential verified, Timestamp now);
  void clear();
  std::size_t size() const;

 private:
  void make_room(Timestamp now);

  Millis ttl_;
  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, VerifiedCredential> entries_;  // by SHA-256 of the credential
};

}  // namespace kefu::auth
