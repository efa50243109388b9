#pragma once
// The tables of people, permissions, credentials and the audit log. Portable DDL in the style of
// store/migrations.cpp (`{id_pk}`, BIGINT milliseconds, TEXT enums, INTEGER flags). The app
// hands auth_migration() to store::migrate(); tests may apply it with apply_auth_schema() after
// store::migrate().
#include <string_view>

#include "store/database.hpp"
#include "store/migrations.hpp"

namespace kefu::auth {

std::string_view auth_schema_ddl();

// The DDL as a numbered migration for store::migrate(connection, extra): version 3, after the
// store's schema v1 and the CRM's v2.
store::Migration auth_migration(int version = 3);

// Renders the DDL for the connection's dialect and runs it in one transaction. Not idempotent:
// for a database that does not have these tables yet.
void apply_auth_schema(store::Connection& connection);

}  // namespace kefu::auth
