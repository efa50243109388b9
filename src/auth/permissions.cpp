#include "auth/permissions.hpp"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

namespace kefu::auth {
namespace {

// PermissionSet indexes bits by the enumerator's value: the names table must list them in order.
constexpr bool names_in_declaration_order() {
  const auto& values = store::EnumNames<Permission>::values;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (static_cast<std::size_t>(values[i].first) != i) return false;
  }
  return true;
}
static_assert(names_in_declaration_order());

PermissionSet set_of(std::initializer_list<Permission> permissions) {
  PermissionSet set;
  for (Permission p : permissions) set.add(p);
  return set;
}

}  // namespace

PermissionSet PermissionSet::all() {
  PermissionSet set;
  set.bits_.set();
  return set;
}

std::vector<Permission> PermissionSet::list() const {
  std::vector<Permission> out;
  for (const auto& [permission, name] : store::EnumNames<Permission>::values) {
    if (has(permission)) out.push_back(permission);
  }
  return out;
}

PermissionSet role_permissions(Role role) {
  using P = Permission;
  switch (role) {
    case Role::admin:
      return PermissionSet::all();
    case Role::supervisor:
      return set_of({P::users_read, P::agents_read, P::agents_control, P::queues_read,
                     P::queues_write, P::calls_monitor, P::calls_control, P::customers_read,
                     P::customers_write, P::tickets_read, P::tickets_write, P::recordings_read,
                     P::reports_read, P::audit_read});
    case Role::team_leader:
      return set_of({P::users_read, P::agents_read, P::agents_control, P::queues_read,
                     P::calls_monitor, P::calls_control, P::customers_read, P::customers_write,
                     P::tickets_read, P::tickets_write, P::recordings_read, P::reports_read});
    case Role::agent:
      return set_of({P::agents_read, P::queues_read, P::calls_control, P::customers_read,
                     P::customers_write, P::tickets_read, P::tickets_write});
    case Role::back_office:
      return set_of({P::customers_read, P::customers_write, P::tickets_read, P::tickets_write,
                     P::reports_read});
  }
  return {};
}

PermissionSet effective_permissions(Role role, std::span<const PermissionOverride> overrides) {
  PermissionSet set = role_permissions(role);
  for (const auto& o : overrides) {
    if (o.effect == PermissionEffect::grant) set.add(o.permission);
  }
  // Revocations last: a permission both granted and revoked is revoked.
  for (const auto& o : overrides) {
    if (o.effect == PermissionEffect::revoke) set.remove(o.permission);
  }
  return set;
}

DepartmentTree::DepartmentTree(std::vector<Department> departments)
    : departments_(std::move(departments)) {}

const Department* DepartmentTree::find(DepartmentId id) const {
  auto it = std::find_if(departments_.begin(), departments_.end(),
                         [id](const Department& d) { return d.id == id; });
  return it == departments_.end() ? nullptr : &*it;
}

bool DepartmentTree::contains(DepartmentId id) const {
  return find(id) != nullptr;
}

std::vector<DepartmentId> DepartmentTree::children(std::optional<DepartmentId> parent) const {
  std::vector<DepartmentId> out;
  for (const auto& d : departments_) {
    const bool parent_known = d.parent && contains(*d.parent);
    if (parent ? (parent_known && *d.parent == *parent) : !parent_known) out.push_back(d.id);
  }
  return out;
}

std::vector<DepartmentId> DepartmentTree::subtree(DepartmentId root) const {
  if (!contains(root)) return {};
  std::unordered_map<std::int64_t, std::vector<DepartmentId>> by_parent;
  for (const auto& d : departments_) {
    if (d.parent) by_parent[store::raw(*d.parent)].push_back(d.id);
  }
  std::vector<DepartmentId> out{root};
  std::unordered_set<std::int64_t> seen{store::raw(root)};
  // Breadth first over `out` itself; `seen` stops a cycle.
  for (std::size_t i = 0; i < out.size(); ++i) {
    auto found = by_parent.find(store::raw(out[i]));
    if (found == by_parent.end()) continue;
    for (DepartmentId child : found->second) {
      if (seen.insert(store::raw(child)).second) out.push_back(child);
    }
  }
  return out;
}

bool can(const Identity& identity, Permission permission) {
  return identity.permissions.has(permission);
}

ScopeKind role_scope(Role role, Resource resource) {
  switch (role) {
    case Role::admin:
      return ScopeKind::all;
    case Role::supervisor:
    case Role::team_leader:
      return ScopeKind::department;
    case Role::back_office:
      return resource == Resource::customers || resource == Resource::tickets
                 ? ScopeKind::department
                 : ScopeKind::own;
    case Role::agent:
      return ScopeKind::own;
  }
  return ScopeKind::own;
}

DataScope scope_for(const Identity& identity, Resource resource) {
  DataScope scope;
  scope.user = identity.user_id;
  scope.kind =
      can(identity, Permission::data_all) ? ScopeKind::all : role_scope(identity.role, resource);
  if (scope.kind == ScopeKind::department) scope.departments = identity.department_subtree;
  return scope;
}

bool DataScope::allows_department(std::optional<DepartmentId> department) const {
  if (kind == ScopeKind::all) return true;
  if (kind == ScopeKind::own || !department) return false;
  return std::find(departments.begin(), departments.end(), *department) != departments.end();
}

bool DataScope::allows(std::optional<UserId> owner, std::optional<DepartmentId> department) const {
  if (kind == ScopeKind::all) return true;
  // Own rows stay visible under department scope too (a supervisor's own tickets).
  if (owner && *owner == user) return true;
  return kind == ScopeKind::department && allows_department(department);
}

std::string DataScope::sql_condition(std::string_view owner_column,
                                     std::string_view department_column,
                                     std::vector<store::Value>& params) const {
  if (kind == ScopeKind::all) return "1=1";
  std::string own = std::string(owner_column) + " = ?";
  params.emplace_back(store::raw(user));
  if (kind == ScopeKind::own || departments.empty()) return own;
  std::string in = std::string(department_column) + " IN (";
  for (std::size_t i = 0; i < departments.size(); ++i) {
    in += i == 0 ? "?" : ", ?";
    params.emplace_back(store::raw(departments[i]));
  }
  return "(" + own + " OR " + in + "))";
}

}  // namespace kefu::auth
