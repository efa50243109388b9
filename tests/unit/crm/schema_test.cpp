// The CRM's schema (versions 2, 4 and 5) on top of schema v1, on SQLite and PostgreSQL.
#include <gtest/gtest.h>

#include "crm/customer_repository.hpp"
#include "crm_test_support.hpp"
#include "store/customer_repository.hpp"

namespace kefu::crm {
namespace {

// A database at schema v1 only: the CRM's DDL is applied by the tests themselves.
class CrmSchemaTest : public store::test::StoreTest {};

TEST_P(CrmSchemaTest, AppliesOnTopOfV1AndKeepsItsCustomers) {
  // A customer written by v1 code (the ACD's repository) before the upgrade.
  store::CustomerRepository v1_customers(db());
  const CustomerId old = v1_customers.create({CustomerId{}, "Old Customer", 3, {"+862083331234"}});

  test::apply_crm_schema(db());
  for (const char* table : {"customer_addresses", "customer_tags", "customer_accounts",
                            "customer_contacts", "interactions", "customer_notes"}) {
    EXPECT_TRUE(store::test::table_exists(db(), table)) << table;
  }
  // v4 and v5: the repository reads the owner columns and the lists' column.
  test::apply_ownership_schema(db());

  CustomerRepository customers(db());
  auto found = customers.find(old);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->name, "Old Customer");
  EXPECT_EQ(found->vip_tier, 3);
  EXPECT_EQ(found->gender, Gender::unspecified);
  EXPECT_EQ(found->company, "");
  EXPECT_FALSE(found->birthday);
  // v5: a row from before has no copy of its lists; they are read from the tables.
  EXPECT_TRUE(db().query_one("SELECT lists_json FROM customers WHERE id = ?", {store::raw(old)})
                  ->is_null(0));
  ASSERT_EQ(found->phones.size(), 1u);
  EXPECT_EQ(found->phones[0].e164, "+862083331234");
  EXPECT_EQ(found->phones[0].label, "");
  // v4: rows from before have no owner, so they are shared: a reader with the narrowest scope
  // (an agent's own customers) still finds them.
  EXPECT_FALSE(found->department);
  EXPECT_FALSE(found->owner);
  auth::DataScope own;
  own.kind = auth::ScopeKind::own;
  own.user = auth::UserId{42};
  EXPECT_TRUE(customers.find(old, own));
  // The migration filled the search key of rows it found.
  auto by_name = customers.search_by_name("old c");
  ASSERT_EQ(by_name.size(), 1u);
  EXPECT_EQ(by_name[0].id, old);

  // v1 code keeps working on the widened tables (the ACD reads VIP tiers by number).
  auto by_phone = v1_customers.find_by_phone("+862083331234");
  ASSERT_EQ(by_phone.size(), 1u);
  EXPECT_EQ(by_phone[0].vip_tier, 3);
  EXPECT_TRUE(v1_customers.create({CustomerId{}, "New via v1", 0, {"+8613912345678"}}) !=
              CustomerId{});
}

TEST_P(CrmSchemaTest, RunsInsideOneTransactionAndRollsBackWhole) {
  // Applied twice, the second run fails on the first ALTER and must leave nothing half done.
  test::apply_crm_schema(db());
  EXPECT_ANY_THROW(test::apply_crm_schema(db()));
  EXPECT_FALSE(db().in_transaction());
  EXPECT_TRUE(store::test::table_exists(db(), "customer_notes"));
}

INSTANTIATE_TEST_SUITE_P(Sqlite, CrmSchemaTest, ::testing::Values(test::Backend::sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, CrmSchemaTest, ::testing::Values(test::Backend::postgresql));

}  // namespace
}  // namespace kefu::crm
