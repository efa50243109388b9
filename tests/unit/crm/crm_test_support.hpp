#pragma once
// A migrated database with the CRM schema (v1 from store::migrate, then the CRM's and auth's
// migrations as the server passes them: crm v2, auth v3, crm v4 and v5), on either backend, and the
// CRM's services over it.
#include <memory>

#include "crm/customer_service.hpp"
#include "crm/phone_numbers.hpp"
#include "test_support.hpp"

namespace kefu::crm::test {

using store::test::Backend;

// Applies the CRM's DDL in one transaction, as a migration would.
void apply_crm_schema(store::Connection& connection);
// Then auth's tables, the customers' ownership columns and their lists' column (v3 to v5).
void apply_ownership_schema(store::Connection& connection);

inline store::Timestamp at_ms(std::int64_t ms) {
  return store::from_epoch_ms(ms);
}

class CrmTest : public store::test::StoreTest {
 protected:
  void SetUp() override;
  void TearDown() override;
  CustomerService& service() { return *service_; }
  const PhoneNumbers& numbers() const { return numbers_; }
  // The service's clock (created/updated stamps), moved by hand.
  std::int64_t now_ms = 1'700'000'000'000;

  CustomerId make_customer(const std::string& name, std::vector<std::string> numbers,
                           int vip_tier = 0);

 private:
  PhoneNumbers numbers_;
  std::unique_ptr<CustomerService> service_;
};

}  // namespace kefu::crm::test
