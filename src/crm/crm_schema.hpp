#pragma once
// Schema version 2, the CRM's tables, and version 4, customers' owners. Kept here beside the
// code that uses them; the app hands crm_migration() to store::migrate(), which runs it as
// version 2 after schema v1, which already has `customers(id, name, vip_tier)` and
// `customer_phones(customer_id, e164)`.
#include <array>
#include <string_view>

#include "auth/auth_schema.hpp"
#include "store/migrations.hpp"

namespace kefu::crm {

// Portable DDL for store::render_ddl (`{id_pk}` → the dialect's auto-numbered primary key).
std::string_view crm_schema_ddl();

// Version 2 for store::migrate(connection, extra): the app passes it with the other modules'.
inline store::Migration crm_migration() {
  return {2, "crm: customers' details, contacts, interactions, notes", crm_schema_ddl()};
}

// Customers' owning department and user (for data scope). It references auth's tables, so it
// runs after auth_migration() (v3): the app passes crm, auth, then this.
std::string_view crm_ownership_ddl();
inline store::Migration crm_ownership_migration() {
  return {4, "crm: customers' owning department and user", crm_ownership_ddl()};
}

// Customers' lists as one JSON text beside the tables (look-ups read one row).
std::string_view crm_lists_ddl();
inline store::Migration crm_lists_migration() {
  return {5, "crm: customers' lists in their row", crm_lists_ddl()};
}

// Everything above the store's own versions, in order, for store::migrate(connection, extra).
inline std::array<store::Migration, 4> crm_and_auth_migrations() {
  return {crm_migration(), auth::auth_migration(), crm_ownership_migration(),
          crm_lists_migration()};
}

}  // namespace kefu::crm
