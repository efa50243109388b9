#pragma once
// The PostgreSQL backend (libpq): one server connection per `Connection`, statements prepared
// once per connection and run with text parameters. See docs/adr/0007-postgresql-backend.md.
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "store/database.hpp"

namespace kefu::store {

struct PostgresOptions {
  // How long connect() waits for the server (libpq `connect_timeout`; a URL's own value wins).
  std::chrono::seconds connect_timeout{10};
  // How long a statement waits for a lock another transaction holds before failing with `busy`
  // (SQLSTATE 55P03): the counterpart of SQLite's busy timeout. Zero keeps the server's setting.
  std::chrono::milliseconds lock_timeout{5000};
};

class PostgresDatabase final : public Database {
 public:
  // `connection_string` is a libpq URL (`postgresql://user[:password]@host:port/dbname?…`) or a
  // `key=value` conninfo string. It is parsed here, so a malformed one fails at startup; the
  // server is contacted only by connect().
  explicit PostgresDatabase(std::string connection_string, PostgresOptions options = {});
  // Throws StoreError when the server cannot be reached or refuses the login; the message names
  // the host, port, database and user but never the password.
  std::unique_ptr<Connection> connect() override;
  // "user@host:port/dbname", without the password: for logs and error messages.
  std::string description() const override { return description_; }

 private:
  std::string connection_string_;
  PostgresOptions options_;
  std::string description_;
  std::string password_;  // only to scrub it from messages libpq might echo
};

// The StoreErrorKind for a SQLSTATE: class 23 (integrity constraint) → constraint; serialization
// failure, deadlock and lock timeout (40001, 40P01, 55P03) → busy, worth retrying; else other.
StoreErrorKind store_error_kind_for_sqlstate(std::string_view sqlstate);

}  // namespace kefu::store
