#include <gtest/gtest.h>

#include <array>

#include "auth/directory.hpp"
#include "auth/seed.hpp"
#include "auth_test_support.hpp"

namespace kefu::auth::test {
namespace {

class DirectoryTest : public AuthTest {
 protected:
  std::vector<std::string> logins(const UserFilter& filter) {
    std::vector<std::string> out;
    for (const auto& u : UserRepository(db()).list(filter).items) out.push_back(u.login);
    return out;
  }
};

TEST_P(DirectoryTest, UserRoundTripWithOverrides) {
  const DepartmentId team = department("team");
  NewUser created;
  created.profile.login = "1001";
  created.profile.display_name = "<b>李娜</b> & 'co'";
  created.profile.role = Role::agent;
  created.profile.department = team;
  created.profile.agent_number = "1001";
  created.profile.overrides = {{Permission::reports_read, PermissionEffect::grant},
                               {Permission::customers_write, PermissionEffect::revoke}};
  created.password_hash = service->hash_password("password1");
  const User user = service->create_user(db(), created, Actor::system());
  auto found = UserRepository(db()).find(user.id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->display_name, "<b>李娜</b> & 'co'") << "stored as given";
  EXPECT_EQ(found->department, team);
  EXPECT_EQ(found->agent_number, std::optional<std::string>("1001"));
  EXPECT_EQ(found->status, UserStatus::active);
  EXPECT_EQ(found->overrides.size(), 2u);
  EXPECT_EQ(UserRepository(db()).find_by_agent_number("1001")->id, user.id);
  EXPECT_TRUE(verify_password(*UserRepository(db()).password_hash(user.id), "password1"));
}

TEST_P(DirectoryTest, LoginAndAgentNumberAreUnique) {
  NewUser first;
  first.profile.login = "1001";
  first.profile.display_name = "a";
  first.profile.agent_number = "1001";
  first.password_hash = "x";
  service->create_user(db(), first, Actor::system());
  NewUser same_login = first;
  same_login.profile.agent_number = "1002";
  try {
    service->create_user(db(), same_login, Actor::system());
    ADD_FAILURE() << "a second user with the same login";
  } catch (const store::StoreError& e) {
    EXPECT_EQ(e.kind(), store::StoreErrorKind::constraint);
  }
  NewUser same_number = first;
  same_number.profile.login = "1002";
  EXPECT_THROW(service->create_user(db(), same_number, Actor::system()), store::StoreError);
  EXPECT_EQ(UserRepository(db()).list({}).total, 1) << "a refused create leaves nothing";
}

TEST_P(DirectoryTest, ListFiltersPagesAndEscapesSearchText) {
  const DepartmentId center = department("center");
  const DepartmentId a = department("a", center);
  const DepartmentId b = department("b", center);
  const DepartmentId a_night = department("a night", a);
  user("alice", Role::agent, a);
  user("bob", Role::agent, b);
  user("carol", Role::supervisor, a);
  user("dave", Role::agent, a_night);
  user("erin_x", Role::back_office, std::nullopt);
  user("frank", Role::admin, center);

  UserFilter filter;
  filter.role = Role::agent;
  EXPECT_EQ(logins(filter), (std::vector<std::string>{"alice", "bob", "dave"}));
  filter = {};
  filter.departments = DepartmentTree(DepartmentRepository(db()).list()).subtree(a);
  EXPECT_EQ(logins(filter), (std::vector<std::string>{"alice", "carol", "dave"}));
  filter = {};
  filter.text = "AL";
  EXPECT_EQ(logins(filter), (std::vector<std::string>{"alice"}));
  filter.text = "_";  // a LIKE wildcard, matched literally
  EXPECT_EQ(logins(filter), (std::vector<std::string>{"erin_x"}));
  filter.text = "%";
  EXPECT_TRUE(logins(filter).empty());
  filter.text = "' OR '1'='1";
  EXPECT_TRUE(logins(filter).empty());
  filter.text = "'; DROP TABLE users; --";
  EXPECT_TRUE(logins(filter).empty());
  EXPECT_EQ(UserRepository(db()).list({}).total, 6) << "the table is still there";

  filter = {};
  filter.limit = 4;
  auto first = UserRepository(db()).list(filter);
  EXPECT_EQ(first.total, 6);
  EXPECT_EQ(first.items.size(), 4u);
  filter.offset = 4;
  EXPECT_EQ(logins(filter), (std::vector<std::string>{"erin_x", "frank"}));
}

TEST_P(DirectoryTest, ListsAreLimitedToTheCallersScope) {
  const DepartmentId center = department("center");
  const DepartmentId a = department("a", center);
  const DepartmentId b = department("b", center);
  const DepartmentId a_night = department("a night", a);
  user("alice", Role::agent, a);
  user("bob", Role::agent, b);
  user("carol", Role::supervisor, a);
  user("dave", Role::agent, a_night);
  user("erin", Role::back_office, std::nullopt);

  UserFilter filter;
  filter.scope = scope_for(login("carol").identity, Resource::users);
  EXPECT_EQ(logins(filter), (std::vector<std::string>{"alice", "carol", "dave"}));
  filter.departments = std::vector<DepartmentId>{b};  // asking for another department
  EXPECT_TRUE(logins(filter).empty());
  filter = {};
  filter.scope = scope_for(login("bob").identity, Resource::users);
  EXPECT_EQ(logins(filter), (std::vector<std::string>{"bob"}));
  filter.scope = scope_for(login("erin").identity, Resource::users);
  EXPECT_EQ(logins(filter), (std::vector<std::string>{"erin"}));
}

TEST_P(DirectoryTest, DepartmentsFormATree) {
  const DepartmentId center = department("center");
  const DepartmentId a = department("a", center);
  department("b", center);
  const DepartmentId a_night = department("a night", a);
  DepartmentRepository departments(db());
  EXPECT_EQ(departments.find_by_name("a", center)->id, a);
  EXPECT_FALSE(departments.find_by_name("a", std::nullopt));
  EXPECT_EQ(departments.find_by_name("center", std::nullopt)->id, center);
  EXPECT_EQ(departments.tree().subtree(a), (std::vector<DepartmentId>{a, a_night}));
  EXPECT_THROW(service->create_department(db(), "orphan", DepartmentId{999}, Actor::system()),
               store::StoreError);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, DirectoryTest, ::testing::Values(Backend::sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, DirectoryTest, ::testing::Values(Backend::postgresql));

class AuthMigrationTest : public store::test::StoreTest {};

TEST_P(AuthMigrationTest, RunsOnceAsANumberedMigration) {
  const std::array extra{auth_migration(store::latest_schema_version() + 1)};
  EXPECT_EQ(store::migrate(db(), extra), 1);
  EXPECT_EQ(store::migrate(db(), extra), 0);
  EXPECT_EQ(store::schema_version(db()), store::latest_schema_version() + 1);
  for (const char* table :
       {"departments", "users", "user_permissions", "auth_sessions", "api_keys", "audit_log"}) {
    EXPECT_TRUE(store::test::table_exists(db(), table)) << table;
  }
  EXPECT_EQ(seed_demo_users(db(), PasswordCost::minimal()), 13);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, AuthMigrationTest, ::testing::Values(Backend::sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, AuthMigrationTest, ::testing::Values(Backend::postgresql));

}  // namespace
}  // namespace kefu::auth::test
