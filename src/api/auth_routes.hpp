#pragma once
// REST routes of sign-in and people, under /api/v1/ (JSON; errors in the shape of
// error_response; every input validated, the error naming the field):
//
//   POST   /api/v1/auth/login            anyone     {"login","password"} → session cookie
//                                                    (HttpOnly; SameSite=Strict; Path=/), the
//                                                    user and the CSRF token; 401 wrong, 429
//                                                    throttled (Retry-After)
//   POST   /api/v1/auth/logout           signed in  ends the session, clears the cookie
//   GET    /api/v1/auth/me               signed in  the caller, permissions, scopes, CSRF token
//   POST   /api/v1/auth/password         signed in  {"current_password","new_password"}: ends
//                                                    every session of the user (sign in again)
//   GET    /api/v1/users                 users.read ?page=&page_size=&department=&role=&q=
//   POST   /api/v1/users                 users.write
//   GET    /api/v1/users/{id}            users.read
//   PATCH  /api/v1/users/{id}            users.write
//   POST   /api/v1/users/{id}/disable    users.write ends the user's sessions
//   POST   /api/v1/users/{id}/enable     users.write
//   GET    /api/v1/departments           users.read the tree
//   POST   /api/v1/departments           departments.write {"name","parent_id"}
//   GET    /api/v1/api-keys              api_keys.manage
//   POST   /api/v1/api-keys              api_keys.manage {"name","user_id"} → the key, shown once
//   DELETE /api/v1/api-keys/{id}         api_keys.manage revokes
//   GET    /api/v1/audit                 audit.read ?entity=&entity_id=&limit=
//
// Users are seen through scope_for(caller, users): a supervisor lists and reads only the users
// of their department subtree (others answer 404). A caller without the `all` scope may only
// write users inside their subtree, never make an administrator or supervisor, and never grant a
// permission they do not hold themselves. Nobody changes their own role or disables themselves.
// Every write is in the audit log.
//
// Database work runs on the storage executor; password hashing on a thread of its own (argon2id
// takes ~0.1 s, which would hold up every other storage job).
#include <cstddef>
#include <memory>
#include <string>

#include <spdlog/logger.h>

#include "api/http_server.hpp"
#include "auth/auth_service.hpp"
#include "store/executor.hpp"

namespace kefu::api {

// `Secure` cookies travel over HTTPS only: right behind a TLS proxy, and the browser would
// never send one back to plain HTTP (loopback tests, the demo).
enum class CookieSecurity { secure, plain_http };

struct AuthRoutesOptions {
  std::string cookie_name = "kefu_session";
  CookieSecurity cookie_security = CookieSecurity::plain_http;
  std::size_t hashing_threads = 1;  // each hash holds 64 MiB while it runs
  // How long a verified session or API key is reused without asking the database
  // (auth/credential_cache.hpp); 0 asks on every request.
  auth::Millis credential_cache_ttl{5000};
  std::size_t credential_cache_capacity = 20000;
};

class AuthRoutes {
 public:
  // Installs the authenticator on `http` and adds the routes above. `auth` and `storage` must
  // outlive this object; this object must outlive the server's handling of requests: destroy
  // it after the io_context has stopped (it then waits for its password hashing and storage
  // jobs still queued).
  AuthRoutes(HttpServer& http, auth::AuthService& auth, store::StorageExecutor& storage,
             std::shared_ptr<spdlog::logger> log, AuthRoutesOptions options = {});
  ~AuthRoutes();
  AuthRoutes(const AuthRoutes&) = delete;
  AuthRoutes& operator=(const AuthRoutes&) = delete;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The same, as the one call the app makes.
std::unique_ptr<AuthRoutes> add_auth_routes(HttpServer& http, auth::AuthService& auth,
                                            store::StorageExecutor& storage,
                                            std::shared_ptr<spdlog::logger> log,
                                            AuthRoutesOptions options = {});

}  // namespace kefu::api
