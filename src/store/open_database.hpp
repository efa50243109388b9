#pragma once
// One place that turns the `--db` setting into a Database: a PostgreSQL URL or a SQLite file.
#include <memory>
#include <string_view>

#include "store/database.hpp"
#include "store/postgres_database.hpp"
#include "store/sqlite_database.hpp"

namespace kefu::store {

struct DatabaseOptions {
  SqliteOptions sqlite;
  PostgresOptions postgres;
};

// True for `postgresql://…` and `postgres://…`, the two URI schemes libpq accepts.
bool is_postgres_url(std::string_view url_or_path);

// A PostgresDatabase for a PostgreSQL URL, else a SqliteDatabase on that file path. Connects
// nothing yet; throws StoreError for a URL that does not parse.
std::unique_ptr<Database> open_database(std::string_view url_or_path,
                                        const DatabaseOptions& options = {});

}  // namespace kefu::store
