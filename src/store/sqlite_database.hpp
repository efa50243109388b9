#pragma once
// The embedded SQLite backend: one database file, WAL journal, one connection per thread.
#include <chrono>
#include <filesystem>
#include <memory>

#include "store/database.hpp"

namespace kefu::store {

// How far a committed transaction is guaranteed to survive (see docs/adr/0005-storage.md).
enum class Durability {
  // synchronous=FULL: the WAL is fsynced at every commit; survives kill -9, OS crash and power
  // loss. The default: call records are what a call center is audited on.
  power_loss,
  // synchronous=NORMAL: survives kill -9 (the WAL is in the OS page cache), may lose the last
  // commits on power loss; fewer fsyncs.
  process_crash,
};

struct SqliteOptions {
  Durability durability = Durability::power_loss;
  // How long a writer waits for another connection's write lock before failing with `busy`.
  std::chrono::milliseconds busy_timeout{5000};
  // Reads map the file instead of copying pages through read(2) into each connection's cache:
  // the OS page cache is then shared by every connection, and a look-up makes no system call.
  // Address space, not memory; a file larger than this is read the usual way past the limit.
  std::int64_t mmap_bytes = std::int64_t{1} << 30;
};

class SqliteDatabase final : public Database {
 public:
  explicit SqliteDatabase(std::filesystem::path file, SqliteOptions options = {});
  // Opens a connection with WAL, the chosen synchronous level, the busy timeout and foreign keys
  // on. Throws StoreError when the file cannot be opened or WAL cannot be enabled.
  std::unique_ptr<Connection> connect() override;
  const std::filesystem::path& file() const { return file_; }
  std::string description() const override { return file_.string(); }

 private:
  std::filesystem::path file_;
  SqliteOptions options_;
};

}  // namespace kefu::store
