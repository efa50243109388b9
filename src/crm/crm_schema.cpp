#include "crm/crm_schema.hpp"

namespace kefu::crm {
namespace {

// Columns added to v1's tables carry defaults, so rows written by v1 code stay valid (both
// SQLite and PostgreSQL accept ADD COLUMN … NOT NULL with a constant default). Dates are
// 'YYYY-MM-DD' text; times BIGINT milliseconds; enums TEXT. `name_key` is the name's search key
// (crm/text_keys.hpp); rows from before v2 get lower(name), which is exact for the ASCII and
// Chinese names they hold and is rewritten by the next update through the CRM. Everything
// hanging off a customer goes with it (ON DELETE CASCADE); agents are referenced without
// cascade, as in v1: an agent with history is deactivated, not deleted.
constexpr std::string_view schema_v2 = R"sql(
ALTER TABLE customers ADD COLUMN company TEXT NOT NULL DEFAULT '';
ALTER TABLE customers ADD COLUMN gender TEXT NOT NULL DEFAULT 'unspecified';
ALTER TABLE customers ADD COLUMN birthday TEXT;
ALTER TABLE customers ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
ALTER TABLE customers ADD COLUMN created_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE customers ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;
UPDATE customers SET name_key = lower(name);
CREATE INDEX customers_by_name_key ON customers(name_key, id);

ALTER TABLE customer_phones ADD COLUMN label TEXT NOT NULL DEFAULT '';
ALTER TABLE customer_phones ADD COLUMN region TEXT NOT NULL DEFAULT '';
ALTER TABLE customer_phones ADD COLUMN ordinal INTEGER NOT NULL DEFAULT 0;

CREATE TABLE customer_addresses (
  id {id_pk},
  customer_id BIGINT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  ordinal INTEGER NOT NULL,
  label TEXT NOT NULL DEFAULT '',
  country TEXT NOT NULL DEFAULT '',
  province TEXT NOT NULL DEFAULT '',
  city TEXT NOT NULL DEFAULT '',
  district TEXT NOT NULL DEFAULT '',
  street TEXT NOT NULL DEFAULT '',
  postcode TEXT NOT NULL DEFAULT ''
);
CREATE INDEX customer_addresses_by_customer ON customer_addresses(customer_id, ordinal);

CREATE TABLE customer_tags (
  customer_id BIGINT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  tag TEXT NOT NULL,
  PRIMARY KEY (customer_id, tag)
);
CREATE INDEX customer_tags_by_tag ON customer_tags(tag);

CREATE TABLE customer_accounts (
  account_number TEXT PRIMARY KEY,
  customer_id BIGINT NOT NULL REFERENCES customers(id) ON DELETE CASCADE
);
CREATE INDEX customer_accounts_by_customer ON customer_accounts(customer_id);

CREATE TABLE customer_contacts (
  id {id_pk},
  customer_id BIGINT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  title TEXT NOT NULL DEFAULT '',
  e164 TEXT NOT NULL DEFAULT '',
  email TEXT NOT NULL DEFAULT ''
);
CREATE INDEX customer_contacts_by_customer ON customer_contacts(customer_id);
CREATE INDEX customer_contacts_by_number ON customer_contacts(e164);

CREATE TABLE interactions (
  id {id_pk},
  customer_id BIGINT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  direction TEXT NOT NULL,
  at BIGINT NOT NULL,
  call_id TEXT NOT NULL DEFAULT '',
  agent_id BIGINT REFERENCES agents(id),
  summary TEXT NOT NULL DEFAULT ''
);
CREATE INDEX interactions_by_customer ON interactions(customer_id, at, id);
CREATE INDEX interactions_by_call ON interactions(call_id);

CREATE TABLE customer_notes (
  id {id_pk},
  customer_id BIGINT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  agent_id BIGINT REFERENCES agents(id),
  created_at BIGINT NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX customer_notes_by_customer ON customer_notes(customer_id, created_at, id);
)sql";

// Version 4, after auth's v3 (departments, users): who owns a customer, for data scope. Both
// columns are nullable: rows already there stay shared (neither set, see CustomerRepository),
// and a creator without a department owns theirs alone. Departments and users are never
// deleted (users are disabled), so the references need no ON DELETE. SQLite accepts ADD COLUMN
// … REFERENCES because the default is NULL.
constexpr std::string_view ownership_v4 = R"sql(
ALTER TABLE customers ADD COLUMN department_id BIGINT REFERENCES departments(id);
ALTER TABLE customers ADD COLUMN owner_user_id BIGINT REFERENCES users(id);
CREATE INDEX customers_by_department ON customers(department_id, id);
CREATE INDEX customers_by_owner ON customers(owner_user_id, id);
)sql";

// Version 5: each customer's phones, addresses, tags and account numbers, also as one JSON text
// (CustomerRepository::lists_json) written with them, so that a look-up reads one row instead
// of the four tables (ADR 0017). The tables stay the truth and the indexes. Rows from before v5
// have NULL, and their lists are read from the tables until their next update.
constexpr std::string_view lists_v5 = R"sql(
ALTER TABLE customers ADD COLUMN lists_json TEXT;
)sql";

}  // namespace

std::string_view crm_schema_ddl() {
  return schema_v2;
}

std::string_view crm_ownership_ddl() {
  return ownership_v4;
}

std::string_view crm_lists_ddl() {
  return lists_v5;
}

}  // namespace kefu::crm
