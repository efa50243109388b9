#include "auth/auth_schema.hpp"

namespace kefu::auth {
namespace {

// Secrets are never stored: sessions and API keys by their SHA-256, passwords as argon2id
// strings. Users are disabled, never deleted (the audit log and call history name them), so
// the audit log has no foreign key and keeps the actor's login as text as well.
constexpr std::string_view auth_ddl = R"sql(
CREATE TABLE departments (
  id {id_pk},
  name TEXT NOT NULL,
  parent_id BIGINT REFERENCES departments(id),
  created_at BIGINT NOT NULL
);
CREATE INDEX departments_by_parent ON departments(parent_id);

CREATE TABLE users (
  id {id_pk},
  login TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL,
  department_id BIGINT REFERENCES departments(id),
  role TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  agent_number TEXT UNIQUE,
  disabled INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX users_by_department ON users(department_id);

CREATE TABLE user_permissions (
  user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  permission TEXT NOT NULL,
  effect TEXT NOT NULL,
  PRIMARY KEY (user_id, permission)
);

CREATE TABLE auth_sessions (
  token_hash TEXT PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  client_ip TEXT NOT NULL DEFAULT ''
);
CREATE INDEX auth_sessions_by_user ON auth_sessions(user_id);

CREATE TABLE api_keys (
  id {id_pk},
  user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE,
  prefix TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  last_used_at BIGINT,
  revoked_at BIGINT
);
CREATE INDEX api_keys_by_user ON api_keys(user_id);

CREATE TABLE audit_log (
  id {id_pk},
  at BIGINT NOT NULL,
  actor_user_id BIGINT,
  actor_login TEXT NOT NULL,
  client_ip TEXT NOT NULL DEFAULT '',
  action TEXT NOT NULL,
  entity TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  before_json TEXT,
  after_json TEXT
);
CREATE INDEX audit_log_by_entity ON audit_log(entity, entity_id, at);
CREATE INDEX audit_log_by_time ON audit_log(at);
)sql";

}  // namespace

std::string_view auth_schema_ddl() {
  return auth_ddl;
}

store::Migration auth_migration(int version) {
  return {version, "auth: departments, users, permissions, sessions, API keys, audit log",
          auth_ddl};
}

void apply_auth_schema(store::Connection& connection) {
  store::Transaction tx(connection);
  connection.execute_script(store::render_ddl(auth_ddl, connection.dialect()));
  tx.commit();
}

}  // namespace kefu::auth
