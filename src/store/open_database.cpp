#include "store/open_database.hpp"

#include <filesystem>
#include <string>

namespace kefu::store {

bool is_postgres_url(std::string_view url_or_path) {
  return url_or_path.starts_with("postgresql://") || url_or_path.starts_with("postgres://");
}

std::unique_ptr<Database> open_database(std::string_view url_or_path,
                                        const DatabaseOptions& options) {
  if (is_postgres_url(url_or_path)) {
    return std::make_unique<PostgresDatabase>(std::string(url_or_path), options.postgres);
  }
  return std::make_unique<SqliteDatabase>(std::filesystem::path(url_or_path), options.sqlite);
}

}  // namespace kefu::store
