#pragma once
// A migrated scratch database (SQLite or PostgreSQL, from the store tests) with the auth tables,
// an AuthService on a clock the test moves, and helpers to make people.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "auth/auth_schema.hpp"
#include "auth/auth_service.hpp"
#include "test_support.hpp"

namespace kefu::auth::test {

using store::test::Backend;

class AuthTest : public store::test::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure()) return;
    apply_auth_schema(db());
    settings.password_cost = PasswordCost::minimal();
    make_service();
  }
  void make_service() {
    service = std::make_unique<AuthService>(settings, [this] { return now; });
  }

  DepartmentId department(const std::string& name, std::optional<DepartmentId> parent = {}) {
    return service->create_department(db(), name, parent, Actor::system()).id;
  }
  User user(const std::string& login, Role role, std::optional<DepartmentId> department = {},
            const std::string& password = "password1") {
    NewUser created;
    created.profile.login = login;
    created.profile.display_name = "User " + login;
    created.profile.role = role;
    created.profile.department = department;
    created.password_hash = service->hash_password(password);
    return service->create_user(db(), created, Actor::system());
  }
  LoginSuccess login(const std::string& login, const std::string& password = "password1",
                     const std::string& ip = "10.0.0.1", const std::string& previous = "") {
    auto result = service->login(db(), login, password, ip, previous);
    if (!result) {
      ADD_FAILURE() << "login refused for " << login;
      return {};
    }
    return *result;
  }

  Timestamp now{Millis{1'700'000'000'000}};
  AuthSettings settings;
  std::unique_ptr<AuthService> service;
};

}  // namespace kefu::auth::test
