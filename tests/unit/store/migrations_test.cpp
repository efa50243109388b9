#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "store/migrations.hpp"
#include "test_support.hpp"

namespace kefu::store {
namespace {

using test::TempDir;

TEST(Migrations, FromEmptyThenIdempotent) {
  TempDir dir;
  SqliteDatabase database(dir.path() / "kefu.db");
  auto c = database.connect();
  EXPECT_EQ(schema_version(*c), 0);
  EXPECT_EQ(migrate(*c), static_cast<int>(known_migrations().size()));
  EXPECT_EQ(schema_version(*c), latest_schema_version());
  EXPECT_EQ(migrate(*c), 0);  // second start: nothing to do

  // A new process (new connection) sees the same schema and applies nothing.
  auto again = database.connect();
  EXPECT_EQ(migrate(*again), 0);
  EXPECT_EQ(again->query_one("SELECT COUNT(*) FROM schema_migrations")->int64(0),
            static_cast<std::int64_t>(known_migrations().size()));
  for (const char* table :
       {"agents", "agent_extensions", "skills", "agent_skills", "queues", "queue_skills",
        "queue_members", "customers", "customer_phones", "call_records", "call_legs",
        "queue_events", "agent_state_changes", "recordings"}) {
    EXPECT_TRUE(again
                    ->query_one("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                                {std::string(table)})
                    .has_value())
        << table;
  }
}

TEST(Migrations, RefusesNewerSchemaWithoutTouchingIt) {
  TempDir dir;
  SqliteDatabase database(dir.path() / "kefu.db");
  auto c = database.connect();
  migrate(*c);
  const std::int64_t future = latest_schema_version() + 1;
  c->execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
             {future, std::string("from the future"), std::int64_t{0}});
  try {
    migrate(*c);
    FAIL() << "migrate accepted a newer schema";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.kind(), StoreErrorKind::schema_too_new);
  }
  EXPECT_FALSE(c->in_transaction());
  EXPECT_EQ(schema_version(*c), future);
}

TEST(Migrations, FailedMigrationLeavesNoPartialSchema) {
  TempDir dir;
  SqliteDatabase database(dir.path() / "kefu.db");
  auto c = database.connect();
  // A table in the way makes migration 1 fail half-way through its DDL.
  c->execute_script("CREATE TABLE recordings (x INTEGER)");
  EXPECT_THROW(migrate(*c), StoreError);
  EXPECT_EQ(schema_version(*c), 0);
  EXPECT_FALSE(c->query_one("SELECT 1 FROM sqlite_master WHERE name = 'agents'").has_value());
}

// Two servers (or a server and an admin tool) starting at once on the same file: each migration
// is applied exactly once and neither start fails.
TEST(Migrations, ConcurrentStartsApplyEachMigrationOnce) {
  TempDir dir;
  SqliteDatabase database(dir.path() / "kefu.db");
  std::atomic<int> applied{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> starts;
  for (int i = 0; i < 3; ++i) {
    starts.emplace_back([&] {
      try {
        auto c = database.connect();
        applied += migrate(*c);
      } catch (const std::exception&) {
        ++errors;
      }
    });
  }
  for (auto& t : starts) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(applied.load(), static_cast<int>(known_migrations().size()));
  auto c = database.connect();
  EXPECT_EQ(schema_version(*c), latest_schema_version());
}

}  // namespace
}  // namespace kefu::store
