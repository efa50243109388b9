// Data scope on customers (schema v4's owner columns): which customers each kind of user reads
// by id, number, name and account, on SQLite and PostgreSQL. The tree: 客服中心 with teams A and
// B under it; agents and back office in the teams, a supervisor at the top, an administrator.
#include <gtest/gtest.h>

#include <algorithm>

#include "auth/directory.hpp"
#include "crm/customer_repository.hpp"
#include "crm_test_support.hpp"

namespace kefu::crm {
namespace {

using auth::DataScope;
using auth::DepartmentId;
using auth::Identity;
using auth::Role;

class CustomerScopeTest : public test::CrmTest {
 protected:
  void SetUp() override {
    CrmTest::SetUp();
    if (HasFatalFailure()) return;
    auth::DepartmentRepository departments(db());
    center = departments.create("客服中心", std::nullopt, test::at_ms(now_ms));
    team_a = departments.create("A 组", center, test::at_ms(now_ms));
    team_b = departments.create("B 组", center, test::at_ms(now_ms));
    agent_a = person("agent-a", Role::agent, team_a);
    colleague_a = person("colleague-a", Role::agent, team_a);
    office_a = person("office-a", Role::back_office, team_a);
    leader_a = person("leader-a", Role::team_leader, team_a);
    agent_b = person("agent-b", Role::agent, team_b);
    supervisor = person("supervisor", Role::supervisor, center);
    admin = person("admin", Role::admin, std::nullopt);
    loner = person("loner", Role::agent, std::nullopt);
  }

  // A user in the database (customers reference them) and their identity as a request has it.
  Identity person(const std::string& login, Role role, std::optional<DepartmentId> department) {
    auth::User user;
    user.login = login;
    user.display_name = login;
    user.role = role;
    user.department = department;
    Identity identity;
    identity.user_id = auth::UserRepository(db()).create(user, "not-a-hash");
    identity.login = login;
    identity.role = role;
    identity.department = department;
    if (department) {
      identity.department_subtree = auth::DepartmentRepository(db()).tree().subtree(*department);
    }
    identity.permissions = auth::role_permissions(role);
    return identity;
  }

  static DataScope scope(const Identity& identity) {
    return auth::scope_for(identity, auth::Resource::customers);
  }

  CustomerId customer(const std::string& name, const Identity* owner,
                      std::optional<DepartmentId> department, std::vector<std::string> numbers = {},
                      std::vector<std::string> accounts = {}) {
    Customer c;
    c.name = name;
    for (std::string& number : numbers) c.phones.push_back({std::move(number), "", ""});
    c.account_numbers = std::move(accounts);
    if (owner != nullptr) c.owner = owner->user_id;
    c.department = department;
    auto id = service().create(c);
    if (!id) throw std::runtime_error(id.error());
    return *id;
  }

  bool sees(const Identity& reader, CustomerId id) {
    return service().find(id, scope(reader)).has_value();
  }

  std::vector<CustomerId> by_phone(const Identity& reader, const std::string& number) {
    std::vector<CustomerId> ids;
    auto found = service().find_by_phone(number, scope(reader));
    if (!found) {
      ADD_FAILURE() << found.error();
      return ids;
    }
    for (const Customer& c : *found) ids.push_back(c.id);
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  DepartmentId center{}, team_a{}, team_b{};
  Identity agent_a, colleague_a, office_a, leader_a, agent_b, supervisor, admin, loner;
};

TEST_P(CustomerScopeTest, OwnershipIsStoredAndKeptByUpdate) {
  const CustomerId id = customer("王芳", &agent_a, team_a);
  auto found = service().find(id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->department, team_a);
  EXPECT_EQ(found->owner, agent_a.user_id);
  // update() replaces the profile, not who it belongs to (the ACD's seeding updates customers
  // knowing nothing of owners).
  Customer changed = *found;
  changed.name = "王芳芳";
  changed.department.reset();
  changed.owner.reset();
  ASSERT_TRUE(service().update(changed));
  found = service().find(id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->name, "王芳芳");
  EXPECT_EQ(found->department, team_a);
  EXPECT_EQ(found->owner, agent_a.user_id);
}

TEST_P(CustomerScopeTest, SingleReadsFollowTheScopeOfEachRole) {
  const CustomerId of_a = customer("A 的客户", &agent_a, team_a);
  const CustomerId of_b = customer("B 的客户", &agent_b, team_b);
  const CustomerId shared = customer("共享客户", nullptr, std::nullopt);
  const CustomerId of_loner = customer("无部门", &loner, std::nullopt);

  struct Expect {
    const Identity* reader;
    bool a, b, shared, loner;
  };
  const Expect expectations[] = {
      // Agents see their own customers only (role scope `own`), and the shared ones.
      {&agent_a, true, false, true, false},
      {&colleague_a, false, false, true, false},
      {&agent_b, false, true, true, false},
      // Back office and team leaders: their department and below.
      {&office_a, true, false, true, false},
      {&leader_a, true, false, true, false},
      // The supervisor of the department above both teams sees both.
      {&supervisor, true, true, true, false},
      {&admin, true, true, true, true},
      {&loner, false, false, true, true},
  };
  for (const Expect& e : expectations) {
    SCOPED_TRACE(e.reader->login);
    EXPECT_EQ(sees(*e.reader, of_a), e.a);
    EXPECT_EQ(sees(*e.reader, of_b), e.b);
    EXPECT_EQ(sees(*e.reader, shared), e.shared);
    EXPECT_EQ(sees(*e.reader, of_loner), e.loner);
  }
  // data.all widens an agent's scope to everything.
  Identity widened = agent_b;
  widened.permissions.add(auth::Permission::data_all);
  EXPECT_TRUE(sees(widened, of_a));
  EXPECT_TRUE(sees(widened, of_loner));
  // Unscoped readers (the screen pop, the ACD) see every customer.
  EXPECT_TRUE(service().find(of_loner));
}

TEST_P(CustomerScopeTest, PhoneSearchFiltersCustomersAndContactsByScope) {
  // One switchboard number on three customers, and as a contact's number on a fourth.
  const std::string number = "020-8333 1234";
  const CustomerId of_a = customer("A 公司", &agent_a, team_a, {number});
  const CustomerId of_b = customer("B 公司", &agent_b, team_b, {number});
  const CustomerId shared = customer("共享公司", nullptr, std::nullopt, {number});
  const CustomerId contact_of_b = customer("B 联系人公司", &agent_b, team_b);
  ASSERT_TRUE(service().add_contact({ContactId{}, contact_of_b, "联系人", "", number, ""}));

  EXPECT_EQ(by_phone(agent_a, number), (std::vector<CustomerId>{of_a, shared}));
  EXPECT_EQ(by_phone(office_a, number), (std::vector<CustomerId>{of_a, shared}));
  EXPECT_EQ(by_phone(agent_b, number), (std::vector<CustomerId>{of_b, shared, contact_of_b}));
  EXPECT_EQ(by_phone(supervisor, number),
            (std::vector<CustomerId>{of_a, of_b, shared, contact_of_b}));
  EXPECT_EQ(by_phone(admin, number), (std::vector<CustomerId>{of_a, of_b, shared, contact_of_b}));
}

TEST_P(CustomerScopeTest, NameSearchLimitsAfterFilteringInSql) {
  // Thirty of B's customers sort before A's one: filtering after the LIMIT would leave A's
  // agent with nothing.
  for (int i = 0; i < 30; ++i) customer("王" + std::to_string(10 + i), &agent_b, team_b);
  const CustomerId of_a = customer("王九九", &agent_a, team_a);
  auto found = service().search_by_name("王", 20, scope(agent_a));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].id, of_a);
  EXPECT_EQ(service().search_by_name("王", 20, scope(agent_b)).size(), 20u);
  EXPECT_EQ(service().search_by_name("王", 50, scope(supervisor)).size(), 31u);
  EXPECT_TRUE(service().search_by_name("王", 20, scope(colleague_a)).empty());
}

TEST_P(CustomerScopeTest, AccountSearchHidesOtherDepartmentsCustomers) {
  const CustomerId of_b = customer("B 客户", &agent_b, team_b, {}, {"ACC-B"});
  EXPECT_FALSE(service().find_by_account("ACC-B", scope(agent_a)));
  EXPECT_FALSE(service().find_by_account("ACC-B", scope(leader_a)));
  auto found = service().find_by_account("ACC-B", scope(supervisor));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, of_b);
  EXPECT_TRUE(service().find_by_account("ACC-B", scope(agent_b)));
}

TEST_P(CustomerScopeTest, OwnerMustBeAUserAndDepartmentMustExist) {
  Customer c;
  c.name = "nobody's";
  c.department = DepartmentId{999'999};
  EXPECT_THROW((void)service().create(c), store::StoreError);
  c.department.reset();
  c.owner = auth::UserId{999'999};
  EXPECT_THROW((void)service().create(c), store::StoreError);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, CustomerScopeTest, ::testing::Values(test::Backend::sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, CustomerScopeTest, ::testing::Values(test::Backend::postgresql));

}  // namespace
}  // namespace kefu::crm
