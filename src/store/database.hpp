#pragma once
// The database abstraction. A `Database` knows how to open connections (a SQLite file, or a
// PostgreSQL server by URL: open_database.hpp); a `Connection` runs parameterised statements and
// transactions and is used by one thread at a time. Repositories are written against `Connection`
// only, with portable SQL: `?` placeholders (the PostgreSQL backend renumbers them to $1, $2… in
// `to_postgres_placeholders`), `RETURNING`, `ON CONFLICT`, BIGINT milliseconds for times, TEXT
// for enums. Schema differences (identity columns) live in `render_ddl` only.
//
// Errors: this is a control path, so failures throw `StoreError`; the StorageExecutor catches
// them at its one boundary and hands them to the completion as a value.
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "store/types.hpp"

namespace kefu::store {

enum class Dialect { sqlite, postgresql };

enum class StoreErrorKind {
  busy,            // another writer held the database past the busy timeout
  constraint,      // unique / foreign key / check violated
  schema_too_new,  // the database was migrated by a newer kefu
  not_found,       // a row the caller named does not exist
  bad_data,        // a stored value this binary cannot interpret
  other,
};

class StoreError : public std::runtime_error {
 public:
  StoreError(StoreErrorKind kind, const std::string& message)
      : std::runtime_error(message), kind_(kind) {}
  StoreErrorKind kind() const { return kind_; }

 private:
  StoreErrorKind kind_;
};

// One bound parameter or one result column.
using Value = std::variant<std::nullptr_t, std::int64_t, double, std::string>;

template <typename T>
Value nullable(const std::optional<T>& maybe) {
  if (!maybe) return nullptr;
  return Value{*maybe};
}
inline Value nullable(const std::optional<Timestamp>& maybe) {
  if (!maybe) return nullptr;
  return to_epoch_ms(*maybe);
}
template <typename Id>
requires std::is_enum_v<Id> Value nullable(const std::optional<Id>& maybe) {
  if (!maybe) return nullptr;
  return raw(*maybe);
}

// One result row; columns by position, in the order of the SELECT list.
class Row {
 public:
  explicit Row(std::vector<Value> columns) : columns_(std::move(columns)) {}
  std::size_t size() const { return columns_.size(); }
  bool is_null(std::size_t i) const;
  std::int64_t int64(std::size_t i) const;  // throws bad_data on NULL or text
  std::string text(std::size_t i) const;    // NULL reads as ""
  double real(std::size_t i) const;         // throws bad_data on NULL or text
  std::optional<std::int64_t> optional_int64(std::size_t i) const;
  Timestamp time(std::size_t i) const { return from_epoch_ms(int64(i)); }
  std::optional<Timestamp> optional_time(std::size_t i) const;
  template <typename Id>
  Id id(std::size_t i) const {
    return static_cast<Id>(int64(i));
  }
  template <typename Id>
  std::optional<Id> optional_id(std::size_t i) const {
    auto v = optional_int64(i);
    if (!v) return std::nullopt;
    return static_cast<Id>(*v);
  }
  template <typename E>
  E enumeration(std::size_t i) const {
    auto parsed = enum_from_string<E>(text(i));
    if (!parsed) throw StoreError(StoreErrorKind::bad_data, "unknown enum value: " + text(i));
    return *parsed;
  }

 private:
  std::vector<Value> columns_;
};

// One statement of a batch (Connection::query_all).
struct Query {
  std::string sql;
  std::vector<Value> params;
};

enum class TransactionMode {
  write,  // takes the write lock at BEGIN (SQLite: BEGIN IMMEDIATE), so busy waits happen up front
  read,   // a consistent snapshot for several SELECTs
};

class Connection {
 public:
  virtual ~Connection() = default;
  virtual Dialect dialect() const = 0;

  // Runs a statement list without parameters (migrations' DDL only).
  virtual void execute_script(std::string_view sql) = 0;
  // Prepared (and cached) statement with bound parameters; returns the rows changed.
  virtual std::int64_t execute(std::string_view sql, std::span<const Value> params) = 0;
  virtual std::vector<Row> query(std::string_view sql, std::span<const Value> params) = 0;
  // SELECTs run in order as one read: they see one snapshot (a read transaction, or the
  // caller's transaction when one is open), and on PostgreSQL they travel together in one
  // network round trip (pipeline mode) instead of one each plus BEGIN and COMMIT. A later
  // statement can name what an earlier one found only through a subquery, not through its
  // results. Returns each statement's rows, in order.
  virtual std::vector<std::vector<Row>> query_all(std::span<const Query> queries);

  virtual void begin(TransactionMode mode) = 0;
  virtual void commit() = 0;
  virtual void rollback() = 0;
  virtual bool in_transaction() const = 0;

  std::int64_t execute(std::string_view sql, std::initializer_list<Value> params = {}) {
    return execute(sql, std::span<const Value>(params.begin(), params.size()));
  }
  std::vector<Row> query(std::string_view sql, std::initializer_list<Value> params = {}) {
    return query(sql, std::span<const Value>(params.begin(), params.size()));
  }
  std::optional<Row> query_one(std::string_view sql, std::initializer_list<Value> params = {});
};

// RAII transaction: rolls back unless committed. Nested use joins the outer transaction (the
// inner one neither commits nor rolls back), so a repository call that needs atomicity works
// both alone and inside a caller's larger transaction.
class Transaction {
 public:
  explicit Transaction(Connection& connection, TransactionMode mode = TransactionMode::write);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Connection& connection_;
  bool owns_;
  bool done_ = false;
};

// Opens connections. One per thread that uses the database.
class Database {
 public:
  virtual ~Database() = default;
  virtual std::unique_ptr<Connection> connect() = 0;
  // For logs and error messages: the file, or the URL without its password.
  virtual std::string description() const = 0;
};

// Dialect differences in DDL, kept in one place: `{id_pk}` becomes the auto-numbered primary key.
std::string render_ddl(std::string_view ddl, Dialect dialect);
// `?` → `$1`, `$2`, … outside quoted strings and comments (for the PostgreSQL backend).
std::string to_postgres_placeholders(std::string_view sql);

}  // namespace kefu::store
