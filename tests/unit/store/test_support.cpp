#include "test_support.hpp"

#include <unistd.h>

#include <atomic>
#include <iostream>

#include "postgres_cluster.hpp"
#include "store/postgres_database.hpp"

namespace kefu::store::test {

std::string postgres_conninfo(const std::string& schema) {
  return shared_postgres_cluster().conninfo(schema);
}

std::string postgres_url(const std::string& schema) {
  return shared_postgres_cluster().url(schema);
}

ScratchDatabase::ScratchDatabase(Backend backend) : backend_(backend) {
  if (backend == Backend::sqlite) {
    dir_ = std::make_unique<TempDir>();
    database_ = std::make_unique<SqliteDatabase>(dir_->path() / "kefu.db");
    return;
  }
  // A schema per test leaves nothing behind to interfere and costs a millisecond (a database
  // costs 150); the process id keeps parallel test processes sharing KEFU_TEST_PG_URL apart.
  static std::atomic<int> next{0};
  schema_ = "kefu_test_" + std::to_string(getpid()) + "_" + std::to_string(next++);
  PostgresDatabase(postgres_conninfo()).connect()->execute_script("CREATE SCHEMA " + schema_);
  conninfo_ = postgres_conninfo(schema_);
  database_ = std::make_unique<PostgresDatabase>(conninfo_);
}

ScratchDatabase::~ScratchDatabase() {
  database_.reset();
  if (schema_.empty()) return;
  try {
    PostgresDatabase(postgres_conninfo())
        .connect()
        ->execute_script("DROP SCHEMA " + schema_ + " CASCADE");
  } catch (const std::exception& e) {
    std::cerr << "cannot drop test schema " << schema_ << ": " << e.what() << "\n";
  }
}

std::filesystem::path ScratchDatabase::sqlite_file() const {
  return dir_ ? dir_->path() / "kefu.db" : std::filesystem::path();
}

bool table_exists(Connection& connection, const std::string& table) {
  if (connection.dialect() == Dialect::sqlite) {
    return connection
        .query_one("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", {table})
        .has_value();
  }
  return connection
      .query_one(
          "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() "
          "AND table_type = 'BASE TABLE' AND table_name = ?",
          {table})
      .has_value();
}

void EmptyDatabaseTest::SetUp() {
  try {
    scratch_ = std::make_unique<ScratchDatabase>(GetParam());
  } catch (const std::exception& e) {
    GTEST_FAIL() << e.what();
  }
}

void EmptyDatabaseTest::TearDown() {
  scratch_.reset();
}

void StoreTest::SetUp() {
  EmptyDatabaseTest::SetUp();
  if (HasFatalFailure()) return;
  connection_ = database().connect();
  migrate(*connection_);
}

void StoreTest::TearDown() {
  connection_.reset();
  EmptyDatabaseTest::TearDown();
}

}  // namespace kefu::store::test
