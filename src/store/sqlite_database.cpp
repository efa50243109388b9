#include "store/sqlite_database.hpp"

#include <sqlite3.h>

#include <string>
#include <unordered_map>

namespace kefu::store {
namespace {

StoreErrorKind kind_of(int code) {
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return StoreErrorKind::busy;
    case SQLITE_CONSTRAINT:
      return StoreErrorKind::constraint;
    default:
      return StoreErrorKind::other;
  }
}

[[noreturn]] void fail(sqlite3* db, int code, std::string_view what) {
  std::string message(what);
  message += ": ";
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  throw StoreError(kind_of(code), message);
}

struct StatementDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using StatementPtr = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

// Resets a cached statement when a use of it ends, however it ends.
class StatementUse {
 public:
  explicit StatementUse(sqlite3_stmt* s) : s_(s) {}
  ~StatementUse() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;

 private:
  sqlite3_stmt* s_;
};

class SqliteConnection final : public Connection {
 public:
  SqliteConnection(const std::filesystem::path& file, const SqliteOptions& options) {
    // NOMUTEX: a connection belongs to one thread at a time (the executor's worker).
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(file.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
      std::string message = "cannot open " + file.string() + ": " + sqlite3_errstr(rc);
      sqlite3_close(db_);
      db_ = nullptr;
      throw StoreError(kind_of(rc), message);
    }
    try {
      configure(file, options);
    } catch (...) {
      statements_.clear();
      sqlite3_close(db_);
      throw;
    }
  }

  ~SqliteConnection() override {
    statements_.clear();
    sqlite3_close(db_);
  }

  Dialect dialect() const override { return Dialect::sqlite; }

  void execute_script(std::string_view sql) override {
    std::string text(sql);
    char* error = nullptr;
    int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &error);
    if (rc != SQLITE_OK) {
      std::string message = error != nullptr ? error : sqlite3_errstr(rc);
      sqlite3_free(error);
      throw StoreError(kind_of(rc), "script failed: " + message);
    }
  }

  std::int64_t execute(std::string_view sql, std::span<const Value> params) override {
    sqlite3_stmt* s = prepare(sql);
    StatementUse use(s);
    bind(s, params);
    while (true) {
      int rc = sqlite3_step(s);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) fail(db_, rc, sql);
    }
    return sqlite3_changes64(db_);
  }

  std::vector<Row> query(std::string_view sql, std::span<const Value> params) override {
    sqlite3_stmt* s = prepare(sql);
    StatementUse use(s);
    bind(s, params);
    std::vector<Row> rows;
    const int columns = sqlite3_column_count(s);
    while (true) {
      int rc = sqlite3_step(s);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) fail(db_, rc, sql);
      std::vector<Value> values;
      values.reserve(static_cast<std::size_t>(columns));
      for (int i = 0; i < columns; ++i) values.push_back(column(s, i));
      rows.emplace_back(std::move(values));
    }
    return rows;
  }

  void begin(TransactionMode mode) override {
    // IMMEDIATE takes the write lock now, where busy_timeout applies; a DEFERRED transaction
    // that later upgrades can fail with SQLITE_BUSY without waiting.
    execute(mode == TransactionMode::write ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED", {});
  }
  void commit() override { execute("COMMIT", {}); }
  void rollback() override { execute("ROLLBACK", {}); }
  bool in_transaction() const override { return sqlite3_get_autocommit(db_) == 0; }

 private:
  sqlite3_stmt* prepare(std::string_view sql) {
    auto found = statements_.find(std::string(sql));
    if (found != statements_.end()) return found->second.get();
    sqlite3_stmt* raw_statement = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &raw_statement, nullptr);
    if (rc != SQLITE_OK) fail(db_, rc, sql);
    StatementPtr owned(raw_statement);
    auto [it, inserted] = statements_.emplace(std::string(sql), std::move(owned));
    return it->second.get();
  }

  void bind(sqlite3_stmt* s, std::span<const Value> params) {
    if (static_cast<std::size_t>(sqlite3_bind_parameter_count(s)) != params.size()) {
      throw StoreError(StoreErrorKind::other,
                       "wrong number of parameters for: " + std::string(sqlite3_sql(s)));
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
      const int index = static_cast<int>(i) + 1;
      int rc = std::visit(
          [&](const auto& v) -> int {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::nullptr_t>) {
              return sqlite3_bind_null(s, index);
            } else if constexpr (std::is_same_v<T, std::int64_t>) {
              return sqlite3_bind_int64(s, index, v);
            } else if constexpr (std::is_same_v<T, double>) {
              return sqlite3_bind_double(s, index, v);
            } else {
              return sqlite3_bind_text64(s, index, v.data(), v.size(), SQLITE_TRANSIENT,
                                         SQLITE_UTF8);
            }
          },
          params[i]);
      if (rc != SQLITE_OK) fail(db_, rc, "bind");
    }
  }

  static Value column(sqlite3_stmt* s, int i) {
    switch (sqlite3_column_type(s, i)) {
      case SQLITE_NULL:
        return nullptr;
      case SQLITE_INTEGER:
        return std::int64_t{sqlite3_column_int64(s, i)};
      case SQLITE_FLOAT:
        return sqlite3_column_double(s, i);
      default: {
        const auto* text = sqlite3_column_text(s, i);
        const auto size = static_cast<std::size_t>(sqlite3_column_bytes(s, i));
        return std::string(reinterpret_cast<const char*>(text), size);
      }
    }
  }

  void configure(const std::filesystem::path& file, const SqliteOptions& options) {
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, static_cast<int>(options.busy_timeout.count()));
    auto mode = query("PRAGMA journal_mode=WAL", {});
    if (mode.empty() || mode.front().text(0) != "wal") {
      throw StoreError(StoreErrorKind::other, "cannot enable WAL on " + file.string());
    }
    execute_script(options.durability == Durability::power_loss ? "PRAGMA synchronous=FULL"
                                                                : "PRAGMA synchronous=NORMAL");
    execute_script("PRAGMA foreign_keys=ON");
    execute_script("PRAGMA mmap_size=" + std::to_string(options.mmap_bytes));
  }

  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, StatementPtr> statements_;
};

}  // namespace

SqliteDatabase::SqliteDatabase(std::filesystem::path file, SqliteOptions options)
    : file_(std::move(file)), options_(options) {
  // SQLite keeps memory statistics by default, behind one process-wide mutex that every
  // sqlite3_malloc takes: with several reader threads that lock was the most contended one in
  // the look-up profile (futex wake-ups). kefu reads no statistics. Library-wide and only
  // possible before SQLite initialises, hence once, here, before the first connection opens
  // (SQLITE_MISUSE, when something initialised SQLite first, leaves the default: still correct).
  static const int memstatus_off = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)memstatus_off;
}

std::unique_ptr<Connection> SqliteDatabase::connect() {
  return std::make_unique<SqliteConnection>(file_, options_);
}

}  // namespace kefu::store
