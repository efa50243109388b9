#pragma once
// A fresh directory per test with a real SQLite file in it.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
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

// A migrated database file and one connection to it.
class StoreTest : public ::testing::Test {
 protected:
  StoreTest() : database_(dir_.path() / "kefu.db") {
    connection_ = database_.connect();
    migrate(*connection_);
  }
  Connection& db() { return *connection_; }

  TempDir dir_;
  SqliteDatabase database_;
  std::unique_ptr<Connection> connection_;
};

}  // namespace kefu::store::test
