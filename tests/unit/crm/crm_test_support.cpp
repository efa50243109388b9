#include "crm_test_support.hpp"

#include <array>

#include "auth/auth_schema.hpp"
#include "crm/crm_schema.hpp"

namespace kefu::crm::test {

void apply_crm_schema(store::Connection& connection) {
  store::Transaction tx(connection);
  connection.execute_script(store::render_ddl(crm_schema_ddl(), connection.dialect()));
  tx.commit();
}

void apply_ownership_schema(store::Connection& connection) {
  auth::apply_auth_schema(connection);
  store::Transaction tx(connection);
  connection.execute_script(store::render_ddl(crm_ownership_ddl(), connection.dialect()));
  connection.execute_script(store::render_ddl(crm_lists_ddl(), connection.dialect()));
  tx.commit();
}

void CrmTest::SetUp() {
  StoreTest::SetUp();
  if (HasFatalFailure()) return;
  // The server's list, so that its order (v4 needs auth's tables) is tested too.
  const auto extra = crm_and_auth_migrations();
  store::migrate(db(), extra);
  service_ =
      std::make_unique<CustomerService>(db(), numbers_, "CN", [this] { return at_ms(now_ms); });
}

void CrmTest::TearDown() {
  service_.reset();
  StoreTest::TearDown();
}

CustomerId CrmTest::make_customer(const std::string& name, std::vector<std::string> numbers,
                                  int vip_tier) {
  Customer customer;
  customer.name = name;
  customer.vip_tier = vip_tier;
  for (std::string& number : numbers) customer.phones.push_back({std::move(number), "", ""});
  auto id = service().create(customer);
  if (!id) throw std::runtime_error(id.error());
  return *id;
}

}  // namespace kefu::crm::test
