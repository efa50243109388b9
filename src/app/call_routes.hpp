#pragma once
// The call history under /api/v1/calls: the list (newest first, filters, keyset pages) and one
// call with its legs and, for readers with recordings.read, its recordings. Rows are limited to
// the reader's data scope for calls (app/call_history.hpp says whose calls are whose).
#include <memory>

#include <spdlog/logger.h>

namespace kefu::api {
class HttpServer;
}
namespace kefu::store {
class StorageExecutor;
}

namespace kefu::app {

void add_call_history_routes(api::HttpServer& http, store::StorageExecutor& storage,
                             std::shared_ptr<spdlog::logger> log);

}  // namespace kefu::app
