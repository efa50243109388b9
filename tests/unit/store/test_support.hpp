#pragma once
// Fresh databases for the store tests, on either backend: a SQLite file in a temporary
// directory, or a new database on the test PostgreSQL server (postgres_cluster.hpp).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <ostream>
#include <string>

#include "store/migrations.hpp"
#include "store/sqlite_database.hpp"

namespace kefu::store::test {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "kefu-store-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline Timestamp at_ms(std::int64_t ms) {
  return from_epoch_ms(ms);
}

enum class Backend { sqlite, postgresql };
inline void PrintTo(Backend backend, std::ostream* out) {  // for gtest's messages
  *out << (backend == Backend::sqlite ? "sqlite" : "postgresql");
}

// An empty database of one backend, gone with this object: a SQLite file in a directory that is
// removed, or a PostgreSQL schema (the connections' search_path) that is dropped. Throws
// std::runtime_error or StoreError when the backend is not available, saying why.
class ScratchDatabase {
 public:
  explicit ScratchDatabase(Backend backend);
  ~ScratchDatabase();
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  Backend backend() const { return backend_; }
  Database& database() { return *database_; }
  // The PostgreSQL schema and a libpq connection string that uses it ("" for SQLite).
  const std::string& postgres_schema() const { return schema_; }
  const std::string& conninfo() const { return conninfo_; }
  // The SQLite file (empty for PostgreSQL).
  std::filesystem::path sqlite_file() const;

 private:
  Backend backend_;
  std::unique_ptr<TempDir> dir_;
  std::string schema_;
  std::string conninfo_;
  std::unique_ptr<Database> database_;
};

// A connection string (or URL) for the test PostgreSQL database with `search_path` set to
// `schema` (none: the server's default), for tests of the backend itself.
std::string postgres_conninfo(const std::string& schema = "");
std::string postgres_url(const std::string& schema = "");

// Whether a table exists in the connection's database (sqlite_master or information_schema).
bool table_exists(Connection& connection, const std::string& table);

// Tests that run on both backends: TEST_P on a fixture derived from one of these, then
//   INSTANTIATE_TEST_SUITE_P(Sqlite, Suite, ::testing::Values(Backend::sqlite));
//   INSTANTIATE_TEST_SUITE_P(Postgres, Suite, ::testing::Values(Backend::postgresql));
// A backend that is not available fails the test in SetUp (never a skip).

// An empty database, nothing applied (migration tests).
class EmptyDatabaseTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override;
  void TearDown() override;
  Database& database() { return scratch_->database(); }
  Backend backend() const { return GetParam(); }
  ScratchDatabase& scratch() { return *scratch_; }

 private:
  std::unique_ptr<ScratchDatabase> scratch_;
};

// A migrated database and one connection to it.
class StoreTest : public EmptyDatabaseTest {
 protected:
  void SetUp() override;
  void TearDown() override;
  Connection& db() { return *connection_; }

 private:
  std::unique_ptr<Connection> connection_;
};

}  // namespace kefu::store::test
