#pragma once
// The contact center's set-up read from TOML (`kefu serve --config kefu.toml`, or the demo's
// embedded file): queues, agents with their phones and skills, known customers, and service
// numbers that lead straight to a queue. See docs/configuration.md for every key.
#include <string>
#include <string_view>
#include <vector>

#include "acd/queue_service.hpp"
#include "common/result.hpp"

namespace kefu::app {

struct AgentAccount {
  acd::AgentSettings settings;
  std::string password;  // SIP digest password of the agent's extensions
};

struct CustomerSeed {
  std::string name;
  int vip_tier = 0;
  std::vector<std::string> phones;  // as written; normalised to E.164 when stored (crm)
};

struct ServiceRoute {
  std::string number;  // dialed number (Request-URI user)
  std::string queue;
};

struct AcdSetup {
  std::vector<acd::QueueSettings> queues;
  std::vector<AgentAccount> agents;
  std::vector<CustomerSeed> customers;
  std::vector<ServiceRoute> routes;
  std::string menu_queue;  // where "0" in the demo menu goes; empty: the first queue
};

// Parses and checks the whole file; the error names the entry and key
// ("queue[1] 'sales': strategy: unknown value 'fastest'").
Result<AcdSetup, std::string> parse_acd_setup(std::string_view toml_text, std::string_view source);
Result<AcdSetup, std::string> load_acd_setup(const std::string& path);

}  // namespace kefu::app
