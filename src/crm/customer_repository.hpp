#pragma once
// Customers and their contacts in the database, through store::Connection only (portable SQL,
// so the same code runs on SQLite and PostgreSQL). Numbers here are already E.164 and names
// already checked: CustomerService is the front door that normalises what people type.
//
// store::CustomerRepository is the ACD's narrow view of the same tables (name, VIP tier,
// numbers); this one owns the full profile. Errors throw store::StoreError (a control path).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/permissions.hpp"
#include "crm/customer.hpp"
#include "store/database.hpp"

namespace kefu::crm {

// Which customers a look-up finds: "FROM … WHERE …" over `customers c` (joins allowed, an
// ORDER BY and LIMIT too) with its parameters. The same match gives the customers' rows and
// their lists in one statement (customer_query), or names the customers as a subquery for the
// other reads of a batch (store::Connection::query_all).
struct CustomerMatch {
  std::string from;
  std::vector<store::Value> params;

  store::Query ids() const { return {"SELECT c.id " + from, params}; }
};

class CustomerRepository {
 public:
  explicit CustomerRepository(store::Connection& connection) : connection_(connection) {}

  // Sets created and updated to `now`. Throws constraint when an account number is taken.
  CustomerId create(const Customer& customer, Timestamp now);
  // Replaces every field and list but `created` and the ownership (department, owner), which
  // create() sets once; throws not_found, or constraint as create().
  void update(const Customer& customer, Timestamp now);
  // Removes the customer with its numbers, addresses, tags, accounts, contacts, interactions
  // and notes. Returns whether there was one.
  bool remove(CustomerId id);

  // Reads see the customers `scope` allows (auth::scope_for(identity, Resource::customers)),
  // filtered in SQL: those the scope's owner or departments hold, and the shared ones (neither
  // department nor owner: every reader sees them, as they were before customers had owners).
  // The default, everything, is for readers acting for no one person: the ACD, the screen pop.
  std::optional<Customer> find(CustomerId id,
                               const auth::DataScope& scope = auth::DataScope::everything());
  // Customers having this number themselves or through one of their contacts (one number can
  // be shared, e.g. a company switchboard): highest VIP tier first, at most `limit`.
  std::vector<Customer> find_by_phone(std::string_view e164, int limit = 20,
                                      const auth::DataScope& scope = auth::DataScope::everything());
  std::optional<Customer> find_by_account(
      std::string_view account_number,
      const auth::DataScope& scope = auth::DataScope::everything());
  // Names starting with `prefix`, compared by search key (text_keys.hpp: case- and width-
  // insensitive), in key order, at most `limit`. An empty prefix finds nothing.
  std::vector<CustomerSummary> search_by_name(
      std::string_view prefix, int limit = 20,
      const auth::DataScope& scope = auth::DataScope::everything());

  ContactId add_contact(const Contact& contact);  // throws when the customer does not exist
  void update_contact(const Contact& contact);    // throws not_found
  bool remove_contact(ContactId id);
  std::optional<Contact> find_contact(ContactId id);
  std::vector<Contact> contacts(CustomerId customer);             // in the order added
  std::vector<Contact> contacts_by_phone(std::string_view e164);  // by customer, then id

  // The parts of find_by_phone and contacts_by_phone, for callers that batch them with other
  // reads (the screen pop).
  static CustomerMatch phone_match(std::string_view e164, int limit, const auth::DataScope& scope);
  // The matched customers with their lists: one statement, one row a customer (ADR 0017).
  static store::Query customer_query(const CustomerMatch& match);
  // From the rows of customer_query(), in the match's order. A customer stored before its row
  // carried its lists (schema v5) comes without them and its id in `without_lists`: load_lists
  // reads them from the tables.
  static std::vector<Customer> read_customers(const std::vector<store::Row>& rows,
                                              std::vector<CustomerId>& without_lists);
  void load_lists(std::vector<Customer>& customers, const std::vector<CustomerId>& ids);
  static store::Query contacts_by_phone_query(std::string_view e164);
  static std::vector<Contact> read_contacts(const std::vector<store::Row>& rows);

  // The row's copy of a customer's phones, addresses, tags and account numbers (the
  // `lists_json` column), as the tables hold them after create() or update(). Public for bulk
  // loaders that write the tables themselves (bench/crm_data.cpp).
  static std::string lists_json(const Customer& customer);

 private:
  std::vector<Customer> load(const CustomerMatch& match);
  void write_details(const Customer& customer);
  store::Connection& connection_;
};

}  // namespace kefu::crm
