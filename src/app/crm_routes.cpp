#include "app/crm_routes.hpp"

#include <optional>

#include <nlohmann/json.hpp>

#include "api/http_server.hpp"
#include "auth/directory.hpp"
#include "auth/permissions.hpp"
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

template <typename Id>
json optional_id_json(const std::optional<Id>& id) {
  if (!id) return nullptr;
  return store::raw(*id);
}

json customer_json(const crm::Customer& c) {
  json phones = json::array();
  for (const auto& p : c.phones)
    phones.push_back({{"e164", p.e164}, {"label", p.label}, {"region", p.region}});
  return {{"id", store::raw(c.id)},
          {"name", c.name},
          {"company", c.company},
          {"vip_tier", c.vip_tier},
          {"phones", phones},
          {"tags", c.tags},
          {"account_numbers", c.account_numbers},
          {"department_id", optional_id_json(c.department)},
          {"owner_user_id", optional_id_json(c.owner)}};
}

// The customers the caller may read. The screen pop does not use it: see its route.
auth::DataScope customer_scope(const api::HttpRequest& request) {
  return auth::scope_for(*request.caller, auth::Resource::customers);
}

// Gives a new customer its department: the one asked for, which must exist and be the
// creator's own or inside their scope, else the creator's own (none for a user without one).
// Returns the refusal when the one asked for will not do.
std::optional<api::HttpResponse> assign_department(store::Connection& connection,
                                                   const auth::Identity& creator,
                                                   std::optional<auth::DepartmentId> asked,
                                                   crm::Customer& customer) {
  customer.department = asked ? asked : creator.department;
  if (!asked) return std::nullopt;
  if (!auth::DepartmentRepository(connection).find(*asked)) {
    return api::error_response(400, "invalid_input", "no such department", "department_id");
  }
  if (asked != creator.department &&
      !auth::scope_for(creator, auth::Resource::customers).allows_department(asked)) {
    return api::error_response(403, "forbidden", "is not one of your departments", "department_id");
  }
  return std::nullopt;
}

// CustomerService errors read "field: what is wrong"; the field goes into the error shape.
api::HttpResponse invalid(const std::string& message) {
  const auto colon = message.find(':');
  const std::string field = colon == std::string::npos ? std::string() : message.substr(0, colon);
  return api::error_response(400, "invalid_input", message, field);
}

template <typename T>
using Job = std::function<T(store::Connection&)>;

// What a store job returns becomes the response; a failure, a 500.
auto respond_with_result(api::Responder respond, std::shared_ptr<spdlog::logger> log) {
  return [respond, log](store::StoreResult<api::HttpResponse> result) {
    if (!result) {
      log->error("crm request failed: {}", result.error().message);
      respond(api::error_response(500, "internal", "the request could not be completed"));
      return;
    }
    respond(std::move(*result));
  };
}

// Runs `job` on the storage executor and answers with what it returns.
void answer_from_store(store::StorageExecutor& storage, api::Responder respond,
                       Job<api::HttpResponse> job, std::shared_ptr<spdlog::logger> log) {
  storage.post(std::move(job), respond_with_result(respond, log));
}

// The same for a job that only reads: on the executor's readers, so concurrent look-ups neither
// queue behind each other nor behind writes.
void read_from_store(store::StorageExecutor& storage, api::Responder respond,
                     Job<api::HttpResponse> job, std::shared_ptr<spdlog::logger> log) {
  storage.post_read(std::move(job), respond_with_result(respond, log));
}

}  // namespace

void add_crm_routes(api::HttpServer& http, store::StorageExecutor& storage,
                    const crm::PhoneNumbers& numbers, std::shared_ptr<spdlog::logger> log) {
  using api::Access;
  using auth::Permission;
  http.route_async(
      "GET", "/api/v1/customers", Access::needs(Permission::customers_read),
      [&storage, &numbers, log](api::HttpRequest request, api::Responder respond) {
        const auth::DataScope scope = customer_scope(request);
        std::map<std::string, std::string> query;
        try {
          query = api::parse_query(request.query(), {"phone", "name", "account"});
          if (query.size() != 1)
            throw api::InvalidInput("phone", "give one of phone, name or account");
          for (auto& [key, value] : query) value = api::checked_text(key, value, 1, 64);
        } catch (const api::InvalidInput& e) {
          respond(e.response());
          return;
        }
        read_from_store(
            storage, respond,
            [&numbers, query, scope](store::Connection& connection) {
              crm::CustomerService customers(connection, numbers);
              json list = json::array();
              if (auto phone = query.find("phone"); phone != query.end()) {
                auto found = customers.find_by_phone(phone->second, scope);
                if (!found) return invalid("phone: " + found.error());
                for (const auto& c : *found) list.push_back(customer_json(c));
              } else if (auto name = query.find("name"); name != query.end()) {
                for (const auto& c : customers.search_by_name(name->second, 20, scope)) {
                  list.push_back({{"id", store::raw(c.id)},
                                  {"name", c.name},
                                  {"company", c.company},
                                  {"vip_tier", c.vip_tier}});
                }
              } else if (auto found = customers.find_by_account(query.at("account"), scope)) {
                list.push_back(customer_json(*found));
              }
              return json_response(200, json{{"customers", list}});
            },
            log);
      });
  http.route_async("GET", "/api/v1/customers/{}", Access::needs(Permission::customers_read),
                   [&storage, &numbers, log](api::HttpRequest request, api::Responder respond) {
                     const auth::DataScope scope = customer_scope(request);
                     std::int64_t id = 0;
                     try {
                       id = api::parse_id("id", request.params.at(0));
                     } catch (const api::InvalidInput& e) {
                       respond(e.response());
                       return;
                     }
                     read_from_store(
                         storage, respond,
                         [&numbers, id, scope](store::Connection& connection) {
                           crm::CustomerService customers(connection, numbers);
                           // Out of scope reads as missing: a 403 would tell that the customer
                           // exists.
                           auto found = customers.find(store::CustomerId{id}, scope);
                           if (!found)
                             return api::error_response(404, "not_found",
                                                        "no customer " + std::to_string(id), "id");
                           return json_response(200, customer_json(*found));
                         },
                         log);
                   });
  http.route_async(
      "POST", "/api/v1/customers", Access::needs(Permission::customers_write),
      [&storage, &numbers, log](api::HttpRequest request, api::Responder respond) {
        crm::Customer customer;
        std::optional<auth::DepartmentId> department;
        try {
          api::JsonBody body(request);
          customer.name = body.text("name", 1, 100);
          customer.company = body.optional_text("company", 0, 200).value_or("");
          if (auto tier = body.optional_text("vip_tier", 1, 1)) {
            if (*tier < "0" || *tier > "9")
              throw api::InvalidInput("vip_tier", "must be a digit 0 to 9");
            customer.vip_tier = (*tier)[0] - '0';
          }
          if (auto phone = body.optional_text("phone", 3, 32))
            customer.phones.push_back({*phone, "", ""});
          if (body.has("department_id")) department = auth::DepartmentId{body.id("department_id")};
          body.no_other_fields();
        } catch (const api::InvalidInput& e) {
          respond(e.response());
          return;
        }
        customer.owner = request.caller->user_id;
        answer_from_store(
            storage, respond,
            [&numbers, customer, department,
             creator = *request.caller](store::Connection& connection) mutable {
              if (auto refused = assign_department(connection, creator, department, customer)) {
                return std::move(*refused);
              }
              crm::CustomerService customers(connection, numbers);
              auto created = customers.create(customer);
              if (!created) return invalid(created.error());
              auto stored = customers.find(*created);
              return json_response(201, customer_json(*stored));
            },
            log);
      });
  http.route_async("GET", "/api/v1/screen-pop", Access::needs(Permission::customers_read),
                   [&storage, &numbers, log](api::HttpRequest request, api::Responder respond) {
                     std::string number;
                     try {
                       auto query = api::parse_query(request.query(), {"number"});
                       number = api::checked_text("number", query["number"], 1, 64);
                     } catch (const api::InvalidInput& e) {
                       respond(e.response());
                       return;
                     }
                     // Not scoped: the screen pop is about the caller on the line, and the agent
                     // taking the call needs them whichever department's customer they are (so does
                     // the call.offered event's pop, built the same way).
                     read_from_store(
                         storage, respond,
                         [&numbers, number](store::Connection& connection) {
                           crm::ScreenPopBuilder builder(numbers);
                           api::HttpResponse response;
                           response.body = builder.to_json(builder.build(connection, number));
                           return response;
                         },
                         log);
                   });
}

}  // namespace kefu::app
