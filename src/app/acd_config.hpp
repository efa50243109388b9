#pragma once
// The contact center's set-up read from TOML (`kefu serve --config kefu.toml`, or the demo's
// embedded file): queues, agents with their phones and skills, known customers, and service
// numbers that lead straight to a queue. See docs/configuration.md for every key.
#include <chrono>
#include <cstdint>
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

// Calls kefu places to numbers typed by people (click-to-call; transfer to outside numbers).
enum class GatewayNumberFormat : std::uint8_t { e164, national };

struct OutboundConfig {
  std::string gateway;         // "sip:203.0.113.5:5060": the carrier's SIP gateway; "" = none
  std::string caller_id;       // From user on gateway calls (our number), e.g. "02088886666"
  std::string caller_name;     // From display name on gateway calls
  std::string region = "CN";   // numbers without a country code are read as dialled here
  GatewayNumberFormat number_format = GatewayNumberFormat::e164;
  std::string strip_prefix;    // removed from a typed number first (an outside-line code)
  std::string add_prefix;      // put before the number in the gateway's Request-URI
  std::chrono::seconds agent_ring_timeout{20};  // click-to-call: the agent's own phone
  std::chrono::seconds ring_timeout{60};        // the called number
};

struct AcdSetup {
  std::vector<acd::QueueSettings> queues;
  std::vector<AgentAccount> agents;
  std::vector<CustomerSeed> customers;
  std::vector<ServiceRoute> routes;
  std::string menu_queue;  // where "0" in the demo menu goes; empty: the first queue
  OutboundConfig outbound;
};

// Parses and checks the whole file; the error names the entry and key
// ("queue[1] 'sales': strategy: unknown value 'fastest'").
Result<AcdSetup, std::string> parse_acd_setup(std::string_view toml_text, std::string_view source);
Result<AcdSetup, std::string> load_acd_setup(const std::string& path);

}  // namespace kefu::app
