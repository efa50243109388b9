#include "app/crm_routes.hpp"

#include <nlohmann/json.hpp>

#include "api/http_server.hpp"
#include "crm/customer_service.hpp"
#include "crm/phone_numbers.hpp"
#include "crm/screen_pop.hpp"
#include "store/executor.hpp"

namespace kefu::app {

using nlohmann::json;

namespace {

api::HttpResponse json_response(unsigned status, const json& body) {
  api::HttpResponse response;
  response.status = status;
  response.body = body.dump();
  return response;
}

json customer_json(const crm::Customer& c) {
  json phones = json::array();
  for (const auto& p : c.phones) phones.push_back({{"e164", p.e164}, {"label", p.label}, {"region", p.region}});
  return {{"id", store::raw(c.id)},     {"name", c.name},          {"company", c.company},
          {"vip_tier", c.vip_tier},     {"phones", phones},        {"tags", c.tags},
          {"account_numbers", c.account_numbers}};
}

// CustomerService errors read "field: what is wrong"; the field goes into the error shape.
api::HttpResponse invalid(const std::string& message) {
  const auto colon = message.find(':');
  const std::string field = colon == std::string::npos ? std::string() : message.substr(0, colon);
  return api::error_response(400, "invalid_input", message, field);
}

template <typename T>
using Job = std::function<T(store::Connection&)>;

// Runs `job` on the storage executor and answers with what it returns.
void answer_from_store(store::StorageExecutor& storage, api::Responder respond,
                       Job<api::HttpResponse> job, std::shared_ptr<spdlog::logger> log) {
  storage.post(std::move(job), [respond, log](store::StoreResult<api::HttpResponse> result) {
    if (!result) {
      log->error("crm request failed: {}", result.error().message);
      respond(api::error_response(500, "internal", "the request could not be completed"));
      return;
    }
    respond(std::move(*result));
  });
}

}  // namespace

void add_crm_routes(api::HttpServer& http, store::StorageExecutor& storage,
                    const crm::PhoneNumbers& numbers, std::shared_ptr<spdlog::logger> log) {
  using api::Access;
  using auth::Permission;
  http.route_async(
      "GET", "/api/v1/customers", Access::needs(Permission::customers_read),
      [&storage, &numbers, log](api::HttpRequest request, api::Responder respond) {
        std::map<std::string, std::string> query;
        try {
          query = api::parse_query(request.query(), {"phone", "name", "account"});
          if (query.size() != 1) throw api::InvalidInput("phone", "give one of phone, name or account");
          for (auto& [key, value] : query) value = api::checked_text(key, value, 1, 64);
        } catch (const api::InvalidInput& e) {
          respond(e.response());
          return;
        }
        answer_from_store(storage, respond, [&numbers, query](store::Connection& connection) {
          crm::CustomerService customers(connection, numbers);
          json list = json::array();
          if (auto phone = query.find("phone"); phone != query.end()) {
            auto found = customers.find_by_phone(phone->second);
            if (!found) return invalid("phone: " + found.error());
            for (const auto& c : *found) list.push_back(customer_json(c));
          } else if (auto name = query.find("name"); name != query.end()) {
            for (const auto& c : customers.search_by_name(name->second)) {
              list.push_back({{"id", store::raw(c.id)}, {"name", c.name}, {"company", c.company},
                              {"vip_tier", c.vip_tier}});
            }
          } else if (auto found = customers.find_by_account(query.at("account"))) {
            list.push_back(customer_json(*found));
          }
          return json_response(200, json{{"customers", list}});
        }, log);
      });
  http.route_async(
      "GET", "/api/v1/customers/{}", Access::needs(Permission::customers_read),
      [&storage, &numbers, log](api::HttpRequest request, api::Responder respond) {
        std::int64_t id = 0;
        try {
          id = api::parse_id("id", request.params.at(0));
        } catch (const api::InvalidInput& e) {
          respond(e.response());
          return;
        }
        answer_from_store(storage, respond, [&numbers, id](store::Connection& connection) {
          crm::CustomerService customers(connection, numbers);
          auto found = customers.find(store::CustomerId{id});
          if (!found) return api::error_response(404, "not_found", "no customer " + std::to_string(id), "id");
          return json_response(200, customer_json(*found));
        }, log);
      });
  http.route_async(
      "POST", "/api/v1/customers", Access::needs(Permission::customers_write),
      [&storage, &numbers, log](api::HttpRequest request, api::Responder respond) {
        crm::Customer customer;
        try {
          api::JsonBody body(request);
          customer.name = body.text("name", 1, 100);
          customer.company = body.optional_text("company", 0, 200).value_or("");
          if (auto tier = body.optional_text("vip_tier", 1, 1)) {
            if (*tier < "0" || *tier > "9") throw api::InvalidInput("vip_tier", "must be a digit 0 to 9");
            customer.vip_tier = (*tier)[0] - '0';
          }
          if (auto phone = body.optional_text("phone", 3, 32)) customer.phones.push_back({*phone, "", ""});
          body.no_other_fields();
        } catch (const api::InvalidInput& e) {
          respond(e.response());
          return;
        }
        answer_from_store(storage, respond, [&numbers, customer](store::Connection& connection) {
          crm::CustomerService customers(connection, numbers);
          auto created = customers.create(customer);
          if (!created) return invalid(created.error());
          auto stored = customers.find(*created);
          return json_response(201, customer_json(*stored));
        }, log);
      });
  http.route_async(
      "GET", "/api/v1/screen-pop", Access::needs(Permission::customers_read),
      [&storage, &numbers, log](api::HttpRequest request, api::Responder respond) {
        std::string number;
        try {
          auto query = api::parse_query(request.query(), {"number"});
          number = api::checked_text("number", query["number"], 1, 64);
        } catch (const api::InvalidInput& e) {
          respond(e.response());
          return;
        }
        answer_from_store(storage, respond, [&numbers, number](store::Connection& connection) {
          crm::ScreenPopBuilder builder(numbers);
          api::HttpResponse response;
          response.body = builder.to_json(builder.build(connection, number));
          return response;
        }, log);
      });
}

}  // namespace kefu::app
