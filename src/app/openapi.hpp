#pragma once
// The OpenAPI 3 document served at /api/v1/openapi.json, checked against the server's routes.
#include <string>
#include <vector>

namespace kefu::app {

// `routes`: HttpServer::route_table(); routes missing from the document are listed in it.
std::string openapi_document(const std::vector<std::string>& routes);

}  // namespace kefu::app
