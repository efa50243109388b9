#pragma once
// The CRM's REST routes under /api/v1 (customers: search by phone in any spelling, name prefix
// or account number; read; create), and the screen pop by number. Customer reads are limited to
// the caller's data scope (auth::scope_for, Resource::customers); the screen pop is not (it is
// about the caller on the line). Database work runs on the storage executor; answers come back
// through the responder.
#include <memory>

#include <spdlog/logger.h>

namespace kefu::api {
class HttpServer;
}
namespace kefu::crm {
class PhoneNumbers;
}
namespace kefu::store {
class StorageExecutor;
}

namespace kefu::app {

void add_crm_routes(api::HttpServer& http, store::StorageExecutor& storage,
                    const crm::PhoneNumbers& numbers, std::shared_ptr<spdlog::logger> log);

}  // namespace kefu::app
