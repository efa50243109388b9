#include "auth/credentials.hpp"

namespace kefu::auth {
namespace {

constexpr std::string_view session_columns =
    "token_hash, user_id, created_at, last_seen_at, expires_at, client_ip";
constexpr std::string_view key_columns =
    "id, user_id, name, prefix, created_at, last_used_at, revoked_at";

ApiKey read_key(const store::Row& row) {
  return {row.id<ApiKeyId>(0), row.id<UserId>(1),    row.text(2),         row.text(3),
          row.time(4),         row.optional_time(5), row.optional_time(6)};
}

}  // namespace

void SessionRepository::create(const StoredSession& session) {
  connection_.execute(
      "INSERT INTO auth_sessions (token_hash, user_id, created_at, last_seen_at, expires_at, "
      "client_ip) VALUES (?, ?, ?, ?, ?, ?)",
      {session.token_hash, store::raw(session.user), store::to_epoch_ms(session.created_at),
       store::to_epoch_ms(session.last_seen_at), store::to_epoch_ms(session.expires_at),
       session.client_ip});
}

std::optional<StoredSession> SessionRepository::find(const std::string& token_hash) {
  auto row = connection_.query_one(
      "SELECT " + std::string(session_columns) + " FROM auth_sessions WHERE token_hash = ?",
      {token_hash});
  if (!row) return std::nullopt;
  return StoredSession{row->text(0), row->id<UserId>(1), row->time(2),
                       row->time(3), row->time(4),       row->text(5)};
}

void SessionRepository::touch(const std::string& token_hash, Timestamp at) {
  connection_.execute("UPDATE auth_sessions SET last_seen_at = ? WHERE token_hash = ?",
                      {store::to_epoch_ms(at), token_hash});
}

void SessionRepository::remove(const std::string& token_hash) {
  connection_.execute("DELETE FROM auth_sessions WHERE token_hash = ?", {token_hash});
}

std::int64_t SessionRepository::remove_for_user(UserId user) {
  return connection_.execute("DELETE FROM auth_sessions WHERE user_id = ?", {store::raw(user)});
}

std::int64_t SessionRepository::remove_expired(Timestamp now, Timestamp idle_before) {
  return connection_.execute("DELETE FROM auth_sessions WHERE expires_at <= ? OR last_seen_at < ?",
                             {store::to_epoch_ms(now), store::to_epoch_ms(idle_before)});
}

std::int64_t SessionRepository::count_for_user(UserId user) {
  auto row = connection_.query_one("SELECT COUNT(*) FROM auth_sessions WHERE user_id = ?",
                                   {store::raw(user)});
  return row ? row->int64(0) : 0;
}

ApiKeyId ApiKeyRepository::create(const ApiKey& key, const std::string& key_hash) {
  auto row = connection_.query_one(
      "INSERT INTO api_keys (user_id, name, key_hash, prefix, created_at) VALUES (?, ?, ?, ?, ?) "
      "RETURNING id",
      {store::raw(key.user), key.name, key_hash, key.prefix, store::to_epoch_ms(key.created_at)});
  return row->id<ApiKeyId>(0);
}

std::optional<ApiKey> ApiKeyRepository::find(ApiKeyId id) {
  auto row = connection_.query_one(
      "SELECT " + std::string(key_columns) + " FROM api_keys WHERE id = ?", {store::raw(id)});
  if (!row) return std::nullopt;
  return read_key(*row);
}

std::optional<ApiKey> ApiKeyRepository::find_by_hash(const std::string& key_hash) {
  auto row = connection_.query_one(
      "SELECT " + std::string(key_columns) + " FROM api_keys WHERE key_hash = ?", {key_hash});
  if (!row) return std::nullopt;
  return read_key(*row);
}

std::vector<ApiKey> ApiKeyRepository::list(std::optional<UserId> user) {
  std::vector<ApiKey> out;
  const auto rows = user
                        ? connection_.query("SELECT " + std::string(key_columns) +
                                                " FROM api_keys WHERE user_id = ? ORDER BY id DESC",
                                            {store::raw(*user)})
                        : connection_.query("SELECT " + std::string(key_columns) +
                                            " FROM api_keys ORDER BY id DESC");
  for (const auto& row : rows) out.push_back(read_key(row));
  return out;
}

bool ApiKeyRepository::revoke(ApiKeyId id, Timestamp at) {
  return connection_.execute(
             "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
             {store::to_epoch_ms(at), store::raw(id)}) > 0;
}

void ApiKeyRepository::touch(ApiKeyId id, Timestamp at) {
  connection_.execute("UPDATE api_keys SET last_used_at = ? WHERE id = ?",
                      {store::to_epoch_ms(at), store::raw(id)});
}

}  // namespace kefu::auth
