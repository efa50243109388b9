#pragma once
// Numbered schema migrations for both backends. Each runs in its own transaction together with
// its row in `schema_migrations`, so a crash leaves the schema at a whole version.
#include <span>
#include <string_view>

#include "store/database.hpp"

namespace kefu::store {

struct Migration {
  int version;
  std::string_view name;
  std::string_view ddl;  // portable DDL; `{id_pk}` is expanded by render_ddl for the dialect
};

std::span<const Migration> known_migrations();
// Modules above the store (crm, auth) bring their own numbered migrations; the app passes them
// here. Versions continue the store's own (which are 1 …) and must increase along the list.
int latest_schema_version(std::span<const Migration> extra = {});

// The version recorded in the database (0 for an empty database).
int schema_version(Connection& connection);

// Brings the schema up to latest_schema_version(); idempotent, safe to run at every start and
// from several processes at once. Throws StoreError{schema_too_new} when the database was
// migrated by a newer kefu (this binary would misread it), without touching anything.
// Returns how many migrations were applied.
int migrate(Connection& connection, std::span<const Migration> extra = {});

}  // namespace kefu::store
