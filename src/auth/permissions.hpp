#pragma once
// Who may do what, and which rows they see. Pure functions over an Identity (built once per
// request by AuthService) so that every module checks permissions the same way and the rules
// can be tested without a database.
//
// Rules:
//  - effective permissions = the role's defaults + the user's grants - the user's revocations;
//  - scope_for(identity, resource): admin → all; supervisor and team leader → their department
//    and every department under it; back office → department for customers and tickets, own
//    otherwise; agent → own. The `data.all` permission widens any scope to all. A user without a
//    department has no department rows: department scope then shows only their own rows.
#include <bitset>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "auth/types.hpp"
#include "store/database.hpp"

namespace kefu::auth {

class PermissionSet {
 public:
  PermissionSet() = default;
  static PermissionSet all();
  bool has(Permission permission) const { return bits_.test(index(permission)); }
  void add(Permission permission) { bits_.set(index(permission)); }
  void remove(Permission permission) { bits_.reset(index(permission)); }
  std::vector<Permission> list() const;  // in declaration order
  bool operator==(const PermissionSet&) const = default;

 private:
  static std::size_t index(Permission permission) { return static_cast<std::size_t>(permission); }
  std::bitset<kPermissionCount> bits_;
};

struct PermissionOverride {
  Permission permission{};
  PermissionEffect effect = PermissionEffect::grant;
  bool operator==(const PermissionOverride&) const = default;
};

PermissionSet role_permissions(Role role);
PermissionSet effective_permissions(Role role, std::span<const PermissionOverride> overrides);

struct Department {
  DepartmentId id{};
  std::string name;
  std::optional<DepartmentId> parent;
  Timestamp created_at{};
};

// The department tree, built from the rows. Rows whose parent is missing count as roots; a
// cycle (impossible through the API, which only adds leaves) cannot make subtree() loop.
class DepartmentTree {
 public:
  explicit DepartmentTree(std::vector<Department> departments);
  bool contains(DepartmentId id) const;
  const Department* find(DepartmentId id) const;
  // `root` and every department below it, `root` first; empty when `root` is unknown.
  std::vector<DepartmentId> subtree(DepartmentId root) const;
  std::vector<DepartmentId> children(std::optional<DepartmentId> parent) const;
  const std::vector<Department>& departments() const { return departments_; }

 private:
  std::vector<Department> departments_;
};

// The caller of a request, as authenticated.
struct Identity {
  UserId user_id{};
  std::string login;
  std::string display_name;
  Role role = Role::agent;
  std::optional<DepartmentId> department;
  // The caller's department and every department under it (empty without a department).
  std::vector<DepartmentId> department_subtree;
  PermissionSet permissions;
  std::optional<std::string> agent_number;
  CredentialKind credential = CredentialKind::session;
  // Session credentials: the value writes must send back in X-CSRF-Token. Empty for API keys.
  std::string csrf_token;
};

bool can(const Identity& identity, Permission permission);

// The rows of one resource a caller may see.
struct DataScope {
  ScopeKind kind = ScopeKind::own;
  UserId user{};                          // for `own`
  std::vector<DepartmentId> departments;  // for `department`: the subtree

  // Every row: for readers acting for no one person (the ACD, the screen pop of a call).
  static DataScope everything() { return {ScopeKind::all, {}, {}}; }

  // Whether a row owned by `owner` in `department` is visible.
  bool allows(std::optional<UserId> owner, std::optional<DepartmentId> department) const;
  bool allows_department(std::optional<DepartmentId> department) const;
  // A SQL condition for repositories ("1=1", "owner = ?" or "(owner = ? OR department IN (?,
  // ?))") over the given columns, its parameters appended to `params`. Column names are the
  // caller's own constants, never input.
  std::string sql_condition(std::string_view owner_column, std::string_view department_column,
                            std::vector<store::Value>& params) const;
};

ScopeKind role_scope(Role role, Resource resource);
DataScope scope_for(const Identity& identity, Resource resource);

}  // namespace kefu::auth
