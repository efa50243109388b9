#pragma once
// People kefu starts with: the first administrator, and the demo's staff. Both run at start-up
// (blocking is fine there), both are idempotent: an existing login is left as it is, its
// password included.
#include <string>
#include <string_view>

#include "auth/crypto.hpp"
#include "auth/types.hpp"
#include "store/database.hpp"

namespace kefu::auth {

enum class Seeded { created, already_there };

// Creates `login` as an administrator without a department unless that login exists. Throws
// std::invalid_argument for a login or password the API would refuse (password: 8 to 1024
// bytes; login: see valid_login).
Seeded ensure_admin(store::Connection& connection, const std::string& login,
                    const std::string& password, PasswordCost cost = PasswordCost::interactive(),
                    Clock clock = system_clock());

// The demo's people, in the department tree 客服中心 → {客服一组, 客服二组}:
//   admin / admin123            administrator, 客服中心
//   supervisor / super123       supervisor of 客服一组 (sees agents 1001–1005)
//   leader / leader123          team leader (班长) of 客服二组 (sees agents 1006–1010)
//   1001 … 1010 / demo1001 …    agents linked to agent numbers 1001 … 1010, 1001–1005 in
//                               客服一组, 1006–1010 in 客服二组
// Returns how many users it created.
int seed_demo_users(store::Connection& connection, PasswordCost cost = PasswordCost::interactive(),
                    Clock clock = system_clock());

// Lower-case letters, digits, '.', '_' and '-', starting with a letter or digit, 1–64 long.
bool valid_login(std::string_view login);

}  // namespace kefu::auth
