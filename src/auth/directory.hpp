#pragma once
// Departments and users. Thin, stateless views over a Connection, like the store's repositories:
// construct one inside a storage job. Writes here are not audited; AuthService's operations are.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "auth/permissions.hpp"
#include "auth/types.hpp"
#include "store/database.hpp"

namespace kefu::auth {

struct User {
  UserId id{};        // assigned by create()
  std::string login;  // lower case, unique
  std::string display_name;
  std::optional<DepartmentId> department;
  Role role = Role::agent;
  UserStatus status = UserStatus::active;
  std::optional<std::string> agent_number;  // 工号 of the agent this user works as
  std::vector<PermissionOverride> overrides;
  Timestamp created_at{};
  Timestamp updated_at{};
};

class DepartmentRepository {
 public:
  explicit DepartmentRepository(store::Connection& connection) : connection_(connection) {}
  DepartmentId create(const std::string& name, std::optional<DepartmentId> parent, Timestamp at);
  std::optional<Department> find(DepartmentId id);
  std::optional<Department> find_by_name(const std::string& name,
                                         std::optional<DepartmentId> parent);
  std::vector<Department> list();  // by id
  DepartmentTree tree() { return DepartmentTree(list()); }

 private:
  store::Connection& connection_;
};

struct UserFilter {
  std::optional<DataScope> scope;  // what the caller may see (scope_for(..., Resource::users))
  std::optional<std::vector<DepartmentId>> departments;  // only users in these departments
  std::optional<Role> role;
  std::string text;  // part of the login or display name, case-insensitive for ASCII
  std::int64_t offset = 0;
  std::int64_t limit = 50;
};

struct UserPage {
  std::vector<User> items;  // by login
  std::int64_t total = 0;   // matching users without offset and limit
};

class UserRepository {
 public:
  explicit UserRepository(store::Connection& connection) : connection_(connection) {}
  // user.id is ignored; throws StoreError{constraint} for a taken login or agent number.
  UserId create(const User& user, const std::string& password_hash);
  // Profile, role, department, agent number and overrides (not the password, not the status).
  void update(const User& user);  // throws not_found
  void set_password_hash(UserId id, const std::string& password_hash, Timestamp at);
  void set_status(UserId id, UserStatus status, Timestamp at);
  std::optional<User> find(UserId id);
  std::optional<User> find_by_login(const std::string& login);
  std::optional<User> find_by_agent_number(const std::string& agent_number);
  std::optional<std::string> password_hash(UserId id);
  UserPage list(const UserFilter& filter);

 private:
  std::optional<User> find_where(std::string_view condition, const store::Value& key);
  void load_overrides(std::vector<User>& users);
  void replace_overrides(const User& user);
  store::Connection& connection_;
};

}  // namespace kefu::auth
