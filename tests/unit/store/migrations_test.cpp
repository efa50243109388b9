#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "store/migrations.hpp"
#include "test_support.hpp"

namespace kefu::store {
namespace {

class MigrationsTest : public test::EmptyDatabaseTest {};

TEST_P(MigrationsTest, FromEmptyThenIdempotent) {
  auto c = database().connect();
  EXPECT_EQ(schema_version(*c), 0);
  EXPECT_EQ(migrate(*c), static_cast<int>(known_migrations().size()));
  EXPECT_EQ(schema_version(*c), latest_schema_version());
  EXPECT_EQ(migrate(*c), 0);  // second start: nothing to do

  // A new process (new connection) sees the same schema and applies nothing.
  auto again = database().connect();
  EXPECT_EQ(migrate(*again), 0);
  EXPECT_EQ(again->query_one("SELECT COUNT(*) FROM schema_migrations")->int64(0),
            static_cast<std::int64_t>(known_migrations().size()));
  for (const char* table :
       {"agents", "agent_extensions", "skills", "agent_skills", "queues", "queue_skills",
        "queue_members", "customers", "customer_phones", "call_records", "call_legs",
        "queue_events", "agent_state_changes", "recordings"}) {
    EXPECT_TRUE(test::table_exists(*again, table)) << table;
  }
  EXPECT_FALSE(test::table_exists(*again, "no_such_table"));
}

TEST_P(MigrationsTest, RefusesNewerSchemaWithoutTouchingIt) {
  auto c = database().connect();
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

TEST_P(MigrationsTest, FailedMigrationLeavesNoPartialSchema) {
  auto c = database().connect();
  // A table in the way makes migration 1 fail half-way through its DDL.
  c->execute_script("CREATE TABLE recordings (x INTEGER)");
  EXPECT_THROW(migrate(*c), StoreError);
  EXPECT_FALSE(c->in_transaction());
  EXPECT_EQ(schema_version(*c), 0);
  EXPECT_FALSE(test::table_exists(*c, "agents"));
}

// Two servers (or a server and an admin tool) starting at once on the same database: each
// migration is applied exactly once and neither start fails.
TEST_P(MigrationsTest, ConcurrentStartsApplyEachMigrationOnce) {
  std::atomic<int> applied{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> starts;
  for (int i = 0; i < 3; ++i) {
    starts.emplace_back([&] {
      try {
        auto c = database().connect();
        applied += migrate(*c);
      } catch (const std::exception& e) {
        ADD_FAILURE() << e.what();
        ++errors;
      }
    });
  }
  for (auto& t : starts) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(applied.load(), static_cast<int>(known_migrations().size()));
  auto c = database().connect();
  EXPECT_EQ(schema_version(*c), latest_schema_version());
}

INSTANTIATE_TEST_SUITE_P(Sqlite, MigrationsTest, ::testing::Values(test::Backend::sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, MigrationsTest, ::testing::Values(test::Backend::postgresql));

}  // namespace
}  // namespace kefu::store
