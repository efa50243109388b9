#pragma once
// Stored sessions and API keys, looked up by the SHA-256 of the secret (crypto.hpp): the secret
// itself exists only in the client and, for one response, in memory.
#include <optional>
#include <string>
#include <vector>

#include "auth/types.hpp"
#include "store/database.hpp"

namespace kefu::auth {

struct StoredSession {
  std::string token_hash;
  UserId user{};
  Timestamp created_at{};
  Timestamp last_seen_at{};
  Timestamp expires_at{};  // the absolute limit; the idle limit is last_seen_at + idle timeout
  std::string client_ip;
};

class SessionRepository {
 public:
  explicit SessionRepository(store::Connection& connection) : connection_(connection) {}
  void create(const StoredSession& session);
  std::optional<StoredSession> find(const std::string& token_hash);
  void touch(const std::string& token_hash, Timestamp at);
  void remove(const std::string& token_hash);
  std::int64_t remove_for_user(UserId user);
  // Sessions past their absolute limit or idle since before `idle_before`.
  std::int64_t remove_expired(Timestamp now, Timestamp idle_before);
  std::int64_t count_for_user(UserId user);

 private:
  store::Connection& connection_;
};

struct ApiKey {
  ApiKeyId id{};
  UserId user{};
  std::string name;
  std::string prefix;  // the key's first characters, to recognise it in a list
  Timestamp created_at{};
  std::optional<Timestamp> last_used_at;
  std::optional<Timestamp> revoked_at;
};

class ApiKeyRepository {
 public:
  explicit ApiKeyRepository(store::Connection& connection) : connection_(connection) {}
  ApiKeyId create(const ApiKey& key, const std::string& key_hash);
  std::optional<ApiKey> find(ApiKeyId id);
  std::optional<ApiKey> find_by_hash(const std::string& key_hash);
  std::vector<ApiKey> list(std::optional<UserId> user);  // newest first
  bool revoke(ApiKeyId id, Timestamp at);                // false when unknown or already revoked
  void touch(ApiKeyId id, Timestamp at);

 private:
  store::Connection& connection_;
};

}  // namespace kefu::auth
