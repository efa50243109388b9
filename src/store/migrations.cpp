#include "store/migrations.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

namespace kefu::store {
namespace {

// Version 1: what the ACD issue needs. Times are BIGINT milliseconds since the epoch (UTC);
// enums are TEXT (names in types.hpp); flags are INTEGER 0/1. History tables (call_records,
// queue_events, agent_state_changes, recordings) reference agents without ON DELETE CASCADE:
// an agent with history is deactivated, not deleted.
constexpr std::string_view schema_v1 = R"sql(
CREATE TABLE agents (
  id {id_pk},
  agent_number TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  password_hash TEXT NOT NULL DEFAULT '',
  presence_follows_phone INTEGER NOT NULL DEFAULT 0,
  record_calls INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE agent_extensions (
  extension TEXT PRIMARY KEY,
  agent_id BIGINT NOT NULL REFERENCES agents(id) ON DELETE CASCADE
);
CREATE INDEX agent_extensions_by_agent ON agent_extensions(agent_id);

CREATE TABLE skills (
  id {id_pk},
  name TEXT NOT NULL UNIQUE
);
CREATE TABLE agent_skills (
  agent_id BIGINT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  skill_id BIGINT NOT NULL REFERENCES skills(id) ON DELETE CASCADE,
  level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 10),
  PRIMARY KEY (agent_id, skill_id)
);
CREATE INDEX agent_skills_by_skill ON agent_skills(skill_id);

CREATE TABLE queues (
  id {id_pk},
  name TEXT NOT NULL UNIQUE,
  strategy TEXT NOT NULL,
  max_wait_ms BIGINT NOT NULL,
  max_length INTEGER NOT NULL,
  overflow_kind TEXT NOT NULL,
  overflow_queue_id BIGINT REFERENCES queues(id) ON DELETE SET NULL,
  wrap_up_ms BIGINT NOT NULL,
  ring_timeout_ms BIGINT NOT NULL,
  service_level_ms BIGINT NOT NULL,
  recording_policy TEXT NOT NULL,
  music_on_hold TEXT NOT NULL DEFAULT ''
);
CREATE TABLE queue_skills (
  queue_id BIGINT NOT NULL REFERENCES queues(id) ON DELETE CASCADE,
  skill_id BIGINT NOT NULL REFERENCES skills(id) ON DELETE CASCADE,
  min_level INTEGER NOT NULL CHECK (min_level BETWEEN 1 AND 10),
  PRIMARY KEY (queue_id, skill_id)
);
CREATE TABLE queue_members (
  queue_id BIGINT NOT NULL REFERENCES queues(id) ON DELETE CASCADE,
  agent_id BIGINT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  penalty INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (queue_id, agent_id)
);
CREATE INDEX queue_members_by_agent ON queue_members(agent_id);

CREATE TABLE customers (
  id {id_pk},
  name TEXT NOT NULL,
  vip_tier INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE customer_phones (
  customer_id BIGINT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  e164 TEXT NOT NULL,
  PRIMARY KEY (customer_id, e164)
);
CREATE INDEX customer_phones_by_number ON customer_phones(e164);

CREATE TABLE call_records (
  call_id TEXT PRIMARY KEY,
  direction TEXT NOT NULL,
  caller_number TEXT NOT NULL,
  dialed_number TEXT NOT NULL,
  queue_id BIGINT REFERENCES queues(id) ON DELETE SET NULL,
  agent_id BIGINT REFERENCES agents(id),
  arrival_at BIGINT NOT NULL,
  queued_at BIGINT,
  offered_at BIGINT,
  answered_at BIGINT,
  ended_at BIGINT,
  wait_ms BIGINT NOT NULL DEFAULT 0,
  talk_ms BIGINT NOT NULL DEFAULT 0,
  hold_ms BIGINT NOT NULL DEFAULT 0,
  disposition TEXT
);
CREATE INDEX call_records_by_arrival ON call_records(arrival_at);
CREATE INDEX call_records_by_caller ON call_records(caller_number, arrival_at);
CREATE INDEX call_records_open ON call_records(call_id) WHERE ended_at IS NULL;

CREATE TABLE call_legs (
  id {id_pk},
  call_id TEXT NOT NULL REFERENCES call_records(call_id) ON DELETE CASCADE,
  role TEXT NOT NULL,
  number TEXT NOT NULL,
  agent_id BIGINT REFERENCES agents(id),
  started_at BIGINT NOT NULL,
  answered_at BIGINT,
  ended_at BIGINT,
  end_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX call_legs_by_call ON call_legs(call_id);

CREATE TABLE queue_events (
  id {id_pk},
  call_id TEXT NOT NULL,
  queue_id BIGINT,
  agent_id BIGINT,
  kind TEXT NOT NULL,
  at BIGINT NOT NULL,
  details TEXT NOT NULL DEFAULT ''
);
CREATE INDEX queue_events_by_call ON queue_events(call_id);
CREATE INDEX queue_events_by_queue ON queue_events(queue_id, at);

CREATE TABLE agent_state_changes (
  id {id_pk},
  agent_id BIGINT NOT NULL REFERENCES agents(id),
  state TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  at BIGINT NOT NULL
);
CREATE INDEX agent_state_changes_by_agent ON agent_state_changes(agent_id, at);

CREATE TABLE recordings (
  id {id_pk},
  call_id TEXT NOT NULL,
  agent_id BIGINT REFERENCES agents(id),
  caller_number TEXT NOT NULL,
  started_at BIGINT NOT NULL,
  duration_ms BIGINT NOT NULL DEFAULT 0,
  file_path TEXT NOT NULL UNIQUE,
  state TEXT NOT NULL
);
CREATE INDEX recordings_by_state ON recordings(state);
CREATE INDEX recordings_by_call ON recordings(call_id);
)sql";

constexpr std::array<Migration, 1> migrations{{
    {1, "acd: agents, skills, queues, customers, call records, events, recordings", schema_v1},
}};

// Serialises schema changes between processes, inside a write transaction. SQLite's write
// transaction (BEGIN IMMEDIATE) already holds the database's one write lock; PostgreSQL's locks
// rows, so two starts would both read version 0 and both create the tables. A transaction-scoped
// advisory lock (released at COMMIT or ROLLBACK) gives the SQLite behaviour without serialising
// ordinary writers.
void lock_schema(Connection& connection) {
  if (connection.dialect() == Dialect::postgresql) {
    constexpr std::int64_t schema_lock_key = 0x6b65'6675'5343'484d;  // "kefuSCHM"
    connection.query("SELECT pg_advisory_xact_lock(" + std::to_string(schema_lock_key) + ")");
  }
}

void ensure_migrations_table(Connection& connection) {
  // Under the lock too: on PostgreSQL, concurrent CREATE TABLE IF NOT EXISTS can still collide.
  Transaction tx(connection, TransactionMode::write);
  lock_schema(connection);
  connection.execute_script(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)");
  tx.commit();
}

int recorded_version(Connection& connection) {
  auto row = connection.query_one("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  return row ? static_cast<int>(row->int64(0)) : 0;
}

}  // namespace

std::span<const Migration> known_migrations() {
  return migrations;
}
int latest_schema_version(std::span<const Migration> extra) {
  return extra.empty() ? migrations.back().version : std::max(migrations.back().version, extra.back().version);
}

int schema_version(Connection& connection) {
  ensure_migrations_table(connection);
  return recorded_version(connection);
}

int migrate(Connection& connection, std::span<const Migration> extra) {
  ensure_migrations_table(connection);
  std::vector<Migration> all(migrations.begin(), migrations.end());
  for (const Migration& migration : extra) {
    if (migration.version <= all.back().version) {
      throw StoreError(StoreErrorKind::other, "migration " + std::to_string(migration.version) + " (" +
                                                  std::string(migration.name) +
                                                  ") does not follow version " +
                                                  std::to_string(all.back().version));
    }
    all.push_back(migration);
  }
  const int latest = all.back().version;
  int applied = 0;
  for (const Migration& migration : all) {
    // The write lock is taken before the version is read, so two processes starting together
    // apply each migration once: the second sees the first's row and skips.
    Transaction tx(connection, TransactionMode::write);
    lock_schema(connection);
    const int current = recorded_version(connection);
    if (current > latest) {
      throw StoreError(StoreErrorKind::schema_too_new,
                       "database schema version " + std::to_string(current) +
                           " is newer than this kefu knows (" + std::to_string(latest) +
                           "); upgrade kefu");
    }
    if (migration.version <= current) continue;
    connection.execute_script(render_ddl(migration.ddl, connection.dialect()));
    const auto now = std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
    connection.execute(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
        {std::int64_t{migration.version}, std::string(migration.name), to_epoch_ms(now)});
    tx.commit();
    ++applied;
    spdlog::info("store: applied migration {} ({})", migration.version, migration.name);
  }
  return applied;
}

}  // namespace kefu::store
