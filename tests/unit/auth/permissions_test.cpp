#include <gtest/gtest.h>

#include "auth/permissions.hpp"

namespace kefu::auth {
namespace {

DepartmentId dep(std::int64_t id) {
  return DepartmentId{id};
}

// 1 ─┬─ 2 ── 4 ── 5
//    └─ 3
// 6 ⇄ 7 (a cycle, which the API cannot make, must not hang subtree())
DepartmentTree sample_tree() {
  return DepartmentTree({{dep(1), "center", std::nullopt, {}},
                         {dep(2), "team a", dep(1), {}},
                         {dep(3), "team b", dep(1), {}},
                         {dep(4), "team a night", dep(2), {}},
                         {dep(5), "team a night weekend", dep(4), {}},
                         {dep(6), "loop 1", dep(7), {}},
                         {dep(7), "loop 2", dep(6), {}}});
}

Identity person(Role role, std::optional<DepartmentId> department,
                std::vector<PermissionOverride> overrides = {}) {
  Identity identity;
  identity.user_id = UserId{42};
  identity.role = role;
  identity.department = department;
  if (department) identity.department_subtree = sample_tree().subtree(*department);
  identity.permissions = effective_permissions(role, overrides);
  return identity;
}

TEST(Permissions, RoleDefaults) {
  EXPECT_EQ(role_permissions(Role::admin), PermissionSet::all());
  EXPECT_FALSE(role_permissions(Role::agent).has(Permission::users_read));
  EXPECT_TRUE(role_permissions(Role::agent).has(Permission::customers_write));
  EXPECT_TRUE(role_permissions(Role::supervisor).has(Permission::users_read));
  EXPECT_FALSE(role_permissions(Role::supervisor).has(Permission::users_write));
  EXPECT_TRUE(role_permissions(Role::team_leader).has(Permission::calls_monitor));
  EXPECT_FALSE(role_permissions(Role::team_leader).has(Permission::queues_write));
  EXPECT_FALSE(role_permissions(Role::back_office).has(Permission::calls_control));
  for (Role role : {Role::supervisor, Role::team_leader, Role::agent, Role::back_office}) {
    EXPECT_FALSE(role_permissions(role).has(Permission::data_all));
    EXPECT_FALSE(role_permissions(role).has(Permission::api_keys_manage));
  }
}

TEST(Permissions, IndividualGrantsAndRevocationsApplyOnTopOfTheRole) {
  const std::vector<PermissionOverride> overrides{
      {Permission::users_read, PermissionEffect::grant},
      {Permission::customers_write, PermissionEffect::revoke},
      {Permission::reports_read, PermissionEffect::grant},
      {Permission::reports_read, PermissionEffect::revoke}};
  const Identity agent = person(Role::agent, dep(2), overrides);
  EXPECT_TRUE(can(agent, Permission::users_read));
  EXPECT_FALSE(can(agent, Permission::customers_write));
  EXPECT_TRUE(can(agent, Permission::customers_read));
  EXPECT_FALSE(can(agent, Permission::reports_read)) << "revocation wins over a grant";
}

TEST(Permissions, PermissionListIsInDeclarationOrder) {
  PermissionSet set;
  set.add(Permission::data_all);
  set.add(Permission::users_read);
  EXPECT_EQ(set.list(), (std::vector<Permission>{Permission::users_read, Permission::data_all}));
}

TEST(DepartmentTreeTest, SubtreeHoldsTheDepartmentAndEverythingBelow) {
  const auto tree = sample_tree();
  EXPECT_EQ(tree.subtree(dep(2)), (std::vector<DepartmentId>{dep(2), dep(4), dep(5)}));
  EXPECT_EQ(tree.subtree(dep(3)), (std::vector<DepartmentId>{dep(3)}));
  EXPECT_EQ(tree.subtree(dep(1)).size(), 5u);
  EXPECT_TRUE(tree.subtree(dep(99)).empty());
  EXPECT_EQ(tree.subtree(dep(6)).size(), 2u);
  EXPECT_EQ(tree.children(std::nullopt), (std::vector<DepartmentId>{dep(1)}))
      << "the cycle has no root";
  EXPECT_EQ(tree.children(dep(1)), (std::vector<DepartmentId>{dep(2), dep(3)}));
}

TEST(Scopes, ByRole) {
  EXPECT_EQ(scope_for(person(Role::admin, std::nullopt), Resource::users).kind, ScopeKind::all);
  const DataScope supervisor = scope_for(person(Role::supervisor, dep(2)), Resource::users);
  EXPECT_EQ(supervisor.kind, ScopeKind::department);
  EXPECT_EQ(supervisor.departments, (std::vector<DepartmentId>{dep(2), dep(4), dep(5)}));
  EXPECT_EQ(scope_for(person(Role::team_leader, dep(4)), Resource::calls).departments,
            (std::vector<DepartmentId>{dep(4), dep(5)}));
  EXPECT_EQ(scope_for(person(Role::agent, dep(2)), Resource::customers).kind, ScopeKind::own);
  EXPECT_EQ(scope_for(person(Role::back_office, dep(3)), Resource::tickets).kind,
            ScopeKind::department);
  EXPECT_EQ(scope_for(person(Role::back_office, dep(3)), Resource::calls).kind, ScopeKind::own);
}

TEST(Scopes, DataAllWidensAnyScope) {
  const Identity agent =
      person(Role::agent, dep(2), {{Permission::data_all, PermissionEffect::grant}});
  EXPECT_EQ(scope_for(agent, Resource::recordings).kind, ScopeKind::all);
}

TEST(Scopes, AllowsRows) {
  const DataScope supervisor = scope_for(person(Role::supervisor, dep(2)), Resource::tickets);
  EXPECT_TRUE(supervisor.allows(UserId{7}, dep(5)));
  EXPECT_FALSE(supervisor.allows(UserId{7}, dep(3)));
  EXPECT_FALSE(supervisor.allows(UserId{7}, dep(1))) << "a parent is not in the subtree";
  EXPECT_FALSE(supervisor.allows(UserId{7}, std::nullopt));
  EXPECT_TRUE(supervisor.allows(UserId{42}, dep(3))) << "own rows stay visible";

  const DataScope agent = scope_for(person(Role::agent, dep(2)), Resource::tickets);
  EXPECT_TRUE(agent.allows(UserId{42}, dep(2)));
  EXPECT_FALSE(agent.allows(UserId{7}, dep(2)));
  EXPECT_FALSE(agent.allows_department(dep(2)));

  const DataScope no_department =
      scope_for(person(Role::supervisor, std::nullopt), Resource::users);
  EXPECT_FALSE(no_department.allows(UserId{7}, dep(2)));
  EXPECT_TRUE(no_department.allows(UserId{42}, std::nullopt));
}

TEST(Scopes, SqlConditionBindsEveryValue) {
  std::vector<store::Value> params;
  EXPECT_EQ(scope_for(person(Role::admin, dep(1)), Resource::users)
                .sql_condition("owner_id", "department_id", params),
            "1=1");
  EXPECT_TRUE(params.empty());
  EXPECT_EQ(scope_for(person(Role::agent, dep(2)), Resource::tickets)
                .sql_condition("owner_id", "department_id", params),
            "owner_id = ?");
  EXPECT_EQ(params, (std::vector<store::Value>{std::int64_t{42}}));
  params.clear();
  EXPECT_EQ(scope_for(person(Role::supervisor, dep(4)), Resource::tickets)
                .sql_condition("owner_id", "department_id", params),
            "(owner_id = ? OR department_id IN (?, ?))");
  EXPECT_EQ(params,
            (std::vector<store::Value>{std::int64_t{42}, std::int64_t{4}, std::int64_t{5}}));
}

}  // namespace
}  // namespace kefu::auth
