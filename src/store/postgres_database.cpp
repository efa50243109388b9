#include "store/postgres_database.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <cmath>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

namespace kefu::store {
namespace {

// OIDs of the built-in types (catalog/pg_type_d.h ships with the server headers, not with
// libpq-dev). They are fixed: clients all over hard-code them.
constexpr Oid bool_oid = 16;
constexpr Oid int8_oid = 20;
constexpr Oid int2_oid = 21;
constexpr Oid int4_oid = 23;
constexpr Oid oid_oid = 26;
constexpr Oid float4_oid = 700;
constexpr Oid float8_oid = 701;
constexpr Oid numeric_oid = 1700;

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

struct ConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using ConnPtr = std::unique_ptr<PGconn, ConnDeleter>;

struct ConninfoDeleter {
  void operator()(PQconninfoOption* o) const { PQconninfoFree(o); }
};
using ConninfoPtr = std::unique_ptr<PQconninfoOption, ConninfoDeleter>;

std::string scrub(std::string text, std::string_view secret) {
  if (secret.empty()) return text;
  constexpr std::string_view mask = "***";
  for (auto pos = text.find(secret); pos != std::string::npos;
       pos = text.find(secret, pos + mask.size())) {
    text.replace(pos, secret.size(), mask);
  }
  return text;
}

// libpq messages end in a newline and go on in tab-indented lines: one line for a log.
std::string one_line(std::string_view message) {
  std::string out;
  bool gap = false;
  for (char c : message) {
    if (c == '\n' || c == '\r' || c == '\t') {
      gap = true;
      continue;
    }
    if (gap && !out.empty() && out.back() != ' ') out.push_back(' ');
    gap = false;
    out.push_back(c);
  }
  return out;
}

// The password in a URL's user info. Used only when libpq could not parse the string, to keep
// the password out of the message about it.
std::string_view url_password(std::string_view url) {
  const auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return {};
  auto authority = url.substr(scheme + 3);
  authority = authority.substr(0, authority.find_first_of("/?"));
  const auto at = authority.rfind('@');
  if (at == std::string_view::npos) return {};
  const auto userinfo = authority.substr(0, at);
  const auto colon = userinfo.find(':');
  if (colon == std::string_view::npos) return {};
  return userinfo.substr(colon + 1);
}

struct Target {
  std::string host;
  std::string port;
  std::string dbname;
  std::string user;
  std::string password;
};

Target parse_target(const std::string& connection_string) {
  char* error = nullptr;
  ConninfoPtr options(PQconninfoParse(connection_string.c_str(), &error));
  if (!options) {
    std::string message = error != nullptr ? one_line(error) : "out of memory";
    PQfreemem(error);
    throw StoreError(
        StoreErrorKind::other,
        scrub("invalid PostgreSQL connection string: " + message, url_password(connection_string)));
  }
  Target target;
  std::string hostaddr;
  for (const PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    const std::string_view key = o->keyword;
    if (key == "host") target.host = o->val;
    if (key == "hostaddr") hostaddr = o->val;
    if (key == "port") target.port = o->val;
    if (key == "dbname") target.dbname = o->val;
    if (key == "user") target.user = o->val;
    if (key == "password") target.password = o->val;
  }
  if (target.host.empty()) target.host = hostaddr.empty() ? "(local socket)" : hostaddr;
  if (target.port.empty()) target.port = "5432";
  return target;
}

std::string describe(const Target& t) {
  std::string out;
  if (!t.user.empty()) out += t.user + "@";
  out += t.host + ":" + t.port;
  if (!t.dbname.empty()) out += "/" + t.dbname;
  return out;
}

void log_notice(void* /*unused*/, const char* message) {
  spdlog::debug("store: postgresql: {}", one_line(message));
}

std::string double_text(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  char buffer[32];
  const auto written = std::to_chars(buffer, buffer + sizeof buffer, d);  // shortest exact form
  return std::string(buffer, written.ptr);
}

// Parameters in libpq's text format. Strings are passed without a copy: the Values outlive the
// call.
class TextParams {
 public:
  explicit TextParams(std::span<const Value> params) {
    numbers_.reserve(params.size());
    pointers_.reserve(params.size());
    for (const Value& param : params) {
      if (const auto* n = std::get_if<std::int64_t>(&param)) {
        numbers_.push_back(std::to_string(*n));
      } else if (const auto* d = std::get_if<double>(&param)) {
        numbers_.push_back(double_text(*d));
      } else if (const auto* s = std::get_if<std::string>(&param)) {
        // Text parameters end at the first NUL, and PostgreSQL text cannot hold one anyway:
        // refuse rather than store a silently truncated value.
        if (s->find('\0') != std::string::npos) {
          throw StoreError(StoreErrorKind::bad_data, "PostgreSQL text cannot contain NUL");
        }
      }
    }
    std::size_t next_number = 0;
    for (const Value& param : params) {
      if (const auto* s = std::get_if<std::string>(&param)) {
        pointers_.push_back(s->c_str());
      } else if (std::holds_alternative<std::nullptr_t>(param)) {
        pointers_.push_back(nullptr);
      } else {
        pointers_.push_back(numbers_[next_number++].c_str());
      }
    }
  }
  int count() const { return static_cast<int>(pointers_.size()); }
  const char* const* values() const { return pointers_.data(); }

 private:
  std::vector<std::string> numbers_;
  std::vector<const char*> pointers_;
};

Value integer_value(std::string_view text) {
  std::int64_t n = 0;
  const auto parsed = std::from_chars(text.data(), text.data() + text.size(), n);
  if (parsed.ec != std::errc{} || parsed.ptr != text.data() + text.size()) {
    throw StoreError(StoreErrorKind::bad_data, "not an integer: " + std::string(text));
  }
  return n;
}

Value float_value(std::string_view text) {
  double d = 0;
  const auto parsed = std::from_chars(text.data(), text.data() + text.size(), d);
  if (parsed.ec != std::errc{} || parsed.ptr != text.data() + text.size()) {
    throw StoreError(StoreErrorKind::bad_data, "not a number: " + std::string(text));
  }
  return d;
}

// NUMERIC is what SUM() and AVG() of integers return: a whole number that fits reads as int64,
// any other number as double (as SQLite would give them), anything else stays text.
Value numeric_value(std::string_view text) {
  std::int64_t n = 0;
  const char* end = text.data() + text.size();
  if (auto parsed = std::from_chars(text.data(), end, n);
      parsed.ec == std::errc{} && parsed.ptr == end) {
    return n;
  }
  double d = 0;
  if (auto parsed = std::from_chars(text.data(), end, d);
      parsed.ec == std::errc{} && parsed.ptr == end) {
    return d;
  }
  return std::string(text);
}

Value column_value(const PGresult* result, int row, int column, Oid type) {
  if (PQgetisnull(result, row, column) != 0) return nullptr;
  const std::string_view text(PQgetvalue(result, row, column),
                              static_cast<std::size_t>(PQgetlength(result, row, column)));
  switch (type) {
    case int2_oid:
    case int4_oid:
    case int8_oid:
    case oid_oid:
      return integer_value(text);
    case float4_oid:
    case float8_oid:
      return float_value(text);
    case bool_oid:
      return std::int64_t{text == "t" ? 1 : 0};
    case numeric_oid:
      return numeric_value(text);
    default:
      return std::string(text);
  }
}

bool failed(const PGresult* result) {
  if (result == nullptr) return true;
  switch (PQresultStatus(result)) {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
    case PGRES_EMPTY_QUERY:
      return false;
    default:
      return true;
  }
}

std::string_view sqlstate_of(const PGresult* result) {
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  return state != nullptr ? std::string_view(state) : std::string_view();
}

class PostgresConnection final : public Connection {
 public:
  PostgresConnection(ConnPtr conn, std::string description, const PostgresOptions& options)
      : conn_(std::move(conn)), description_(std::move(description)), options_(options) {
    configure_session();
  }

  Dialect dialect() const override { return Dialect::postgresql; }

  void execute_script(std::string_view sql) override {
    ensure_open();
    const std::string text(sql);
    // PQexec runs the whole list in one round trip, as one transaction unless one is open.
    ResultPtr result(PQexec(conn_.get(), text.c_str()));
    check(result.get(), "script failed");
  }

  std::int64_t execute(std::string_view sql, std::span<const Value> params) override {
    ResultPtr result = run(sql, params);
    const std::string_view changed = PQcmdTuples(result.get());  // "" for statements without
    return changed.empty() ? 0 : std::get<std::int64_t>(integer_value(changed));
  }

  std::vector<Row> query(std::string_view sql, std::span<const Value> params) override {
    ResultPtr result = run(sql, params);
    return rows_of(result.get());
  }

  std::vector<std::vector<Row>> query_all(std::span<const Query> queries) override {
    ensure_open();
    // Statements new to this session are prepared first, one round trip each, once.
    std::vector<Statements::iterator> statements;
    std::vector<std::unique_ptr<TextParams>> params;  // pointers into them must stay put
    for (const Query& q : queries) {
      statements.push_back(prepared(q.sql));
      params.push_back(std::make_unique<TextParams>(q.params));
    }
    const bool own_transaction = !in_transaction();
    PGconn* conn = conn_.get();
    if (PQenterPipelineMode(conn) != 1) check(nullptr, "pipeline");
    auto send_plain = [conn](const char* sql) {
      return PQsendQueryParams(conn, sql, 0, nullptr, nullptr, nullptr, nullptr, 0) == 1;
    };
    bool sent = !own_transaction || send_plain(read_transaction);
    for (std::size_t i = 0; sent && i < queries.size(); ++i) {
      sent = PQsendQueryPrepared(conn, statements[i]->second.c_str(), params[i]->count(),
                                 params[i]->values(), nullptr, nullptr, 0) == 1;
    }
    if (sent && own_transaction) sent = send_plain("COMMIT");
    if (sent) sent = PQpipelineSync(conn) == 1;
    if (!sent) {
      const std::string message = one_line(PQerrorMessage(conn));
      PQexitPipelineMode(conn);  // fails with commands queued; the connection is lost anyway
      throw StoreError(StoreErrorKind::other, "pipeline to PostgreSQL failed: " + message);
    }

    // One result per command (then a null), the sync last. After a failure the server skips
    // the rest up to the sync: those commands answer PGRES_PIPELINE_ABORTED.
    std::vector<std::vector<Row>> results(queries.size());
    std::optional<StoreError> error;
    bool lost = false;
    const std::size_t first = own_transaction ? 1 : 0;
    const std::size_t commands = queries.size() + (own_transaction ? 2 : 0);
    for (std::size_t command = 0; command < commands; ++command) {
      ResultPtr result(PQgetResult(conn));
      if (result == nullptr) {
        if (!error) error = error_of(nullptr, "pipeline");
        lost = true;
        break;
      }
      const bool is_query = command >= first && command - first < queries.size();
      const auto status = PQresultStatus(result.get());
      if (status == PGRES_PIPELINE_ABORTED) {
      } else if (failed(result.get())) {
        if (!error) {
          error = error_of(result.get(), is_query ? std::string_view(queries[command - first].sql)
                                                  : std::string_view("read transaction"));
          const auto state = sqlstate_of(result.get());
          if (is_query && (state == "0A000" || state == "26000")) {
            statements_.erase(statements[command - first]);
          }
        }
      } else if (is_query) {
        results[command - first] = rows_of(result.get());
      }
      while (ResultPtr(PQgetResult(conn)) != nullptr) {
      }
    }
    if (!lost) {
      ResultPtr sync(PQgetResult(conn));
      if ((sync == nullptr || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) && !error) {
        error = error_of(sync.get(), "pipeline sync");
      }
    }
    if (PQexitPipelineMode(conn) != 1 && !error) error = error_of(nullptr, "pipeline end");
    // A failure inside our own BEGIN leaves that transaction aborted, not ended.
    if (own_transaction && PQstatus(conn) == CONNECTION_OK &&
        PQtransactionStatus(conn) != PQTRANS_IDLE) {
      simple("ROLLBACK");
    }
    if (error) throw *error;
    return results;
  }

  void begin(TransactionMode mode) override {
    // Writers need no up-front lock here: PostgreSQL locks rows, and lock_timeout bounds waits.
    // Readers get one snapshot for all their SELECTs, as SQLite's read transaction gives.
    simple(mode == TransactionMode::write ? "BEGIN" : read_transaction);
    transaction_open_ = true;
  }

  void commit() override {
    transaction_open_ = false;
    ResultPtr result = simple("COMMIT");
    // COMMIT of a transaction that already failed "succeeds" with the tag ROLLBACK: the caller
    // must not believe its writes were kept.
    if (std::string_view(PQcmdStatus(result.get())) == "ROLLBACK") {
      throw StoreError(StoreErrorKind::other,
                       "commit failed: the transaction had an error and was rolled back");
    }
  }

  void rollback() override {
    transaction_open_ = false;
    // A lost session has been rolled back by the server already.
    if (PQstatus(conn_.get()) == CONNECTION_BAD) return;
    simple("ROLLBACK");
  }

  bool in_transaction() const override {
    const auto status = PQtransactionStatus(conn_.get());
    return transaction_open_ || status == PQTRANS_INTRANS || status == PQTRANS_INERROR;
  }

 private:
  static constexpr const char* read_transaction =
      "BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY";

  static std::vector<Row> rows_of(const PGresult* result) {
    const int rows = PQntuples(result);
    const int columns = PQnfields(result);
    std::vector<Oid> types;
    types.reserve(static_cast<std::size_t>(columns));
    for (int c = 0; c < columns; ++c) types.push_back(PQftype(result, c));
    std::vector<Row> out;
    out.reserve(static_cast<std::size_t>(rows));
    for (int r = 0; r < rows; ++r) {
      std::vector<Value> values;
      values.reserve(types.size());
      for (int c = 0; c < columns; ++c) {
        values.push_back(column_value(result, r, c, types[static_cast<std::size_t>(c)]));
      }
      out.emplace_back(std::move(values));
    }
    return out;
  }

  // After a lost connection (server restart, idle kill) the next use reconnects, so a storage
  // thread's long-lived connection heals; never inside a transaction, whose earlier statements
  // are gone with the old session.
  void ensure_open() {
    if (PQstatus(conn_.get()) != CONNECTION_BAD) return;
    if (transaction_open_) {
      throw StoreError(StoreErrorKind::other,
                       "lost the connection to PostgreSQL " + description_ + " in a transaction");
    }
    PQreset(conn_.get());
    if (PQstatus(conn_.get()) != CONNECTION_OK) {
      throw StoreError(StoreErrorKind::other, "lost the connection to PostgreSQL " + description_ +
                                                  ": " + one_line(PQerrorMessage(conn_.get())));
    }
    statements_.clear();  // prepared statements died with the old session
    configure_session();
    spdlog::warn("store: reconnected to PostgreSQL {}", description_);
  }

  void configure_session() {
    PQsetNoticeProcessor(conn_.get(), log_notice, nullptr);
    if (options_.lock_timeout.count() > 0) {
      simple("SET lock_timeout = " + std::to_string(options_.lock_timeout.count()));
    }
  }

  ResultPtr simple(const std::string& sql) {
    ensure_open();
    ResultPtr result(PQexec(conn_.get(), sql.c_str()));
    check(result.get(), sql);
    return result;
  }

  ResultPtr run(std::string_view sql, std::span<const Value> params) {
    ensure_open();
    const TextParams text(params);
    auto statement = prepared(sql);
    ResultPtr result(PQexecPrepared(conn_.get(), statement->second.c_str(), text.count(),
                                    text.values(), nullptr, nullptr, 0));
    if (failed(result.get())) {
      // A plan invalidated by a schema change ("cached plan must not change result type") or a
      // statement the server no longer has: prepare afresh next time.
      const auto state = sqlstate_of(result.get());
      if (state == "0A000" || state == "26000") statements_.erase(statement);
      check(result.get(), sql);
    }
    return result;
  }

  using Statements = std::unordered_map<std::string, std::string>;  // SQL → statement name

  Statements::iterator prepared(std::string_view sql) {
    std::string key(sql);
    auto found = statements_.find(key);
    if (found != statements_.end()) return found;
    std::string name = "kefu_" + std::to_string(next_statement_++);
    const std::string text = to_postgres_placeholders(sql);
    // No parameter types: the server infers each from its context, as SQLite's affinity would.
    ResultPtr result(PQprepare(conn_.get(), name.c_str(), text.c_str(), 0, nullptr));
    check(result.get(), sql);
    return statements_.emplace(std::move(key), std::move(name)).first;
  }

  void check(const PGresult* result, std::string_view what) {
    if (!failed(result)) return;
    throw error_of(result, what);
  }

  StoreError error_of(const PGresult* result, std::string_view what) const {
    std::string message(what);
    message += ": ";
    const char* primary =
        result != nullptr ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
    if (primary != nullptr) {
      message += primary;
    } else if (result != nullptr && *PQresultErrorMessage(result) != '\0') {
      message += one_line(PQresultErrorMessage(result));
    } else {
      message += one_line(PQerrorMessage(conn_.get()));  // no result: connection-level failure
    }
    const char* constraint =
        result != nullptr ? PQresultErrorField(result, PG_DIAG_CONSTRAINT_NAME) : nullptr;
    if (constraint != nullptr) message += std::string(" (constraint ") + constraint + ")";
    const auto state = sqlstate_of(result);
    if (!state.empty()) message += " [SQLSTATE " + std::string(state) + "]";
    return StoreError(store_error_kind_for_sqlstate(state), message);
  }

  ConnPtr conn_;
  std::string description_;
  PostgresOptions options_;
  Statements statements_;
  std::uint64_t next_statement_ = 0;
  // Set by begin() until commit()/rollback(): a lost connection must fail the transaction's
  // remaining statements, not run them outside it on a fresh session.
  bool transaction_open_ = false;
};

}  // namespace

StoreErrorKind store_error_kind_for_sqlstate(std::string_view sqlstate) {
  if (sqlstate.starts_with("23")) return StoreErrorKind::constraint;
  if (sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "55P03") {
    return StoreErrorKind::busy;
  }
  return StoreErrorKind::other;
}

PostgresDatabase::PostgresDatabase(std::string connection_string, PostgresOptions options)
    : connection_string_(std::move(connection_string)), options_(options) {
  Target target = parse_target(connection_string_);
  description_ = describe(target);
  password_ = std::move(target.password);
}

std::unique_ptr<Connection> PostgresDatabase::connect() {
  const std::string timeout = std::to_string(options_.connect_timeout.count());
  // With expand_dbname the URL's settings take the place of `dbname`, and a repeated keyword's
  // last value wins: the URL may override the defaults before it, never the encoding after it
  // (every string kefu binds is UTF-8).
  const char* const keywords[] = {"connect_timeout", "application_name", "dbname",
                                  "client_encoding", nullptr};
  const char* const values[] = {timeout.c_str(), "kefu", connection_string_.c_str(), "UTF8",
                                nullptr};
  ConnPtr conn(PQconnectdbParams(keywords, values, 1));
  if (conn == nullptr) {
    throw StoreError(StoreErrorKind::other,
                     "cannot connect to PostgreSQL " + description_ + ": out of memory");
  }
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    throw StoreError(StoreErrorKind::other, scrub("cannot connect to PostgreSQL " + description_ +
                                                      ": " + one_line(PQerrorMessage(conn.get())),
                                                  password_));
  }
  return std::make_unique<PostgresConnection>(std::move(conn), description_, options_);
}

}  // namespace kefu::store
