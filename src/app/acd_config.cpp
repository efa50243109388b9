#include "app/acd_config.hpp"

#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

#include <toml++/toml.h>

namespace kefu::app {

namespace {

using std::chrono::seconds;

class Problem : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string entry_name(std::string_view kind, std::size_t index, std::string_view name) {
  return std::string(kind) + "[" + std::to_string(index) + "]" +
         (name.empty() ? std::string() : " '" + std::string(name) + "'");
}

template <typename T>
T get_or(const toml::table& table, std::string_view key, T fallback, const std::string& where) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return fallback;
  if (auto value = node->value<T>()) return *value;
  throw Problem(where + ": " + std::string(key) + ": wrong type");
}

seconds seconds_or(const toml::table& table, std::string_view key, seconds fallback,
                   const std::string& where) {
  const auto value = get_or<std::int64_t>(table, key, fallback.count(), where);
  if (value < 0 || value > 7 * 24 * 3600)
    throw Problem(where + ": " + std::string(key) + ": out of range (0 .. 604800 seconds)");
  return seconds(value);
}

std::string required_string(const toml::table& table, std::string_view key, const std::string& where) {
  auto value = get_or<std::string>(table, key, {}, where);
  if (value.empty()) throw Problem(where + ": " + std::string(key) + ": required");
  return value;
}

std::map<std::string, int> level_map(const toml::table& table, std::string_view key,
                                     const std::string& where, int min, int max) {
  std::map<std::string, int> out;
  const toml::node* node = table.get(key);
  if (node == nullptr) return out;
  const toml::table* map = node->as_table();
  if (map == nullptr) throw Problem(where + ": " + std::string(key) + ": must be a table");
  for (const auto& [name, value] : *map) {
    auto level = value.value<std::int64_t>();
    if (!level || *level < min || *level > max) {
      throw Problem(where + ": " + std::string(key) + "." + std::string(name.str()) +
                    ": must be a number from " + std::to_string(min) + " to " + std::to_string(max));
    }
    out[std::string(name.str())] = static_cast<int>(*level);
  }
  return out;
}

std::vector<std::string> string_list(const toml::table& table, std::string_view key,
                                     const std::string& where) {
  std::vector<std::string> out;
  const toml::node* node = table.get(key);
  if (node == nullptr) return out;
  const toml::array* array = node->as_array();
  if (array == nullptr) throw Problem(where + ": " + std::string(key) + ": must be a list");
  for (const auto& item : *array) {
    auto text = item.value<std::string>();
    if (!text || text->empty()) throw Problem(where + ": " + std::string(key) + ": must list non-empty strings");
    out.push_back(*text);
  }
  return out;
}

acd::Strategy parse_strategy(const std::string& text, const std::string& where) {
  if (text == "longest_idle") return acd::Strategy::LongestIdle;
  if (text == "round_robin") return acd::Strategy::RoundRobin;
  if (text == "fewest_calls") return acd::Strategy::FewestCalls;
  if (text == "skills_weighted") return acd::Strategy::SkillsWeighted;
  if (text == "ring_all") return acd::Strategy::RingAll;
  throw Problem(where + ": strategy: unknown value '" + text +
                "' (longest_idle, round_robin, fewest_calls, skills_weighted, ring_all)");
}

acd::RecordingPolicy parse_recording(const std::string& text, const std::string& where) {
  if (text == "none") return acd::RecordingPolicy::none;
  if (text == "all") return acd::RecordingPolicy::all;
  if (text == "chosen_agents") return acd::RecordingPolicy::chosen_agents;
  throw Problem(where + ": recording: unknown value '" + text + "' (none, all, chosen_agents)");
}

acd::QueueSettings parse_queue(const toml::table& table, std::size_t index) {
  std::string where = entry_name("queue", index, get_or<std::string>(table, "name", {}, entry_name("queue", index, {})));
  acd::QueueSettings q;
  q.routing.id = required_string(table, "name", where);
  q.display_name = get_or<std::string>(table, "display_name", q.routing.id, where);
  q.routing.required_skills = level_map(table, "required_skills", where, 1, acd::kMaxSkillLevel);
  q.routing.strategy = parse_strategy(get_or<std::string>(table, "strategy", "longest_idle", where), where);
  q.routing.max_wait = seconds_or(table, "max_wait_s", seconds(300), where);
  const auto max_length = get_or<std::int64_t>(table, "max_length", 50, where);
  if (max_length < 0 || max_length > 100000) throw Problem(where + ": max_length: out of range (0 .. 100000)");
  q.routing.max_length = static_cast<std::size_t>(max_length);
  q.routing.wrap_up = seconds_or(table, "wrap_up_s", seconds(10), where);
  q.routing.ring_timeout = seconds_or(table, "ring_timeout_s", seconds(20), where);
  const auto misses = get_or<std::int64_t>(table, "max_missed_offers", 3, where);
  if (misses < 0 || misses > 100) throw Problem(where + ": max_missed_offers: out of range (0 .. 100)");
  q.routing.max_missed_offers = static_cast<int>(misses);
  q.routing.service_level_threshold = seconds_or(table, "service_level_s", seconds(20), where);
  q.recording = parse_recording(get_or<std::string>(table, "recording", "none", where), where);
  q.announce_interval = seconds_or(table, "announce_interval_s", seconds(30), where);
  q.last_agent_days = static_cast<int>(get_or<std::int64_t>(table, "last_agent_days", 7, where));
  q.last_agent_wait = seconds_or(table, "last_agent_wait_s", seconds(15), where);
  q.offer_overflow_on_long_wait = get_or<bool>(table, "offer_overflow_on_long_wait", true, where);

  const std::string overflow = get_or<std::string>(table, "overflow", "goodbye", where);
  if (overflow == "goodbye") {
    q.overflow = acd::OverflowKind::goodbye;
  } else if (overflow == "none") {
    q.overflow = acd::OverflowKind::none;
  } else if (overflow == "voicemail") {
    q.overflow = acd::OverflowKind::voicemail;
  } else if (overflow.starts_with("queue:") && overflow.size() > 6) {
    q.overflow = acd::OverflowKind::queue;
    q.routing.overflow_target = overflow.substr(6);
  } else {
    throw Problem(where + ": overflow: unknown value '" + overflow +
                  "' (goodbye, none, voicemail, queue:<name>)");
  }

  if (const toml::node* node = table.get("relaxation")) {
    const toml::array* steps = node->as_array();
    if (steps == nullptr) throw Problem(where + ": relaxation: must be a list of tables");
    acd::Duration previous{-1};
    for (const auto& item : *steps) {
      const toml::table* step = item.as_table();
      if (step == nullptr) throw Problem(where + ": relaxation: must be a list of tables");
      acd::RelaxationStep relax;
      relax.after = seconds_or(*step, "after_s", seconds(0), where + ": relaxation");
      const auto level = get_or<std::int64_t>(*step, "min_level", 0, where + ": relaxation");
      if (level < 0 || level > acd::kMaxSkillLevel)
        throw Problem(where + ": relaxation: min_level: must be 0 .. 10");
      relax.min_level = static_cast<int>(level);
      if (relax.after <= previous) throw Problem(where + ": relaxation: after_s must increase");
      previous = relax.after;
      q.routing.relaxation.push_back(relax);
    }
  }
  return q;
}

AgentAccount parse_agent(const toml::table& table, std::size_t index) {
  std::string where = entry_name("agent", index, get_or<std::string>(table, "id", {}, entry_name("agent", index, {})));
  AgentAccount a;
  a.settings.routing.id = required_string(table, "id", where);
  a.settings.routing.name = get_or<std::string>(table, "name", a.settings.routing.id, where);
  a.password = get_or<std::string>(table, "password", {}, where);
  a.settings.extensions = string_list(table, "extensions", where);
  if (a.settings.extensions.empty()) a.settings.extensions.push_back(a.settings.routing.id);
  a.settings.presence_follows_phone = get_or<bool>(table, "presence_follows_phone", false, where);
  a.settings.record_calls = get_or<bool>(table, "record_calls", false, where);
  a.settings.routing.skills = level_map(table, "skills", where, 1, acd::kMaxSkillLevel);
  a.settings.routing.queues = level_map(table, "queues", where, 0, 1000);
  return a;
}

OutboundConfig parse_outbound(const toml::table& table) {
  const std::string where = "outbound";
  OutboundConfig out;
  out.gateway = get_or<std::string>(table, "gateway", {}, where);
  if (!out.gateway.empty() &&
      (!out.gateway.starts_with("sip:") || out.gateway.size() == 4 ||
       out.gateway.find('@') != std::string::npos))
    throw Problem(where + ": gateway: must be sip:host[:port] without a user part");
  out.caller_id = get_or<std::string>(table, "caller_id", {}, where);
  for (char c : out.caller_id) {
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != '+')
      throw Problem(where + ": caller_id: digits (and a leading +) only");
  }
  out.caller_name = get_or<std::string>(table, "caller_name", {}, where);
  out.region = get_or<std::string>(table, "region", "CN", where);
  if (out.region.size() != 2 || !std::isupper(static_cast<unsigned char>(out.region[0])) ||
      !std::isupper(static_cast<unsigned char>(out.region[1])))
    throw Problem(where + ": region: a two-letter country code such as \"CN\"");
  const std::string format = get_or<std::string>(table, "number_format", "e164", where);
  if (format == "e164") {
    out.number_format = GatewayNumberFormat::e164;
  } else if (format == "national") {
    out.number_format = GatewayNumberFormat::national;
  } else {
    throw Problem(where + ": number_format: unknown value '" + format + "' (e164, national)");
  }
  out.strip_prefix = get_or<std::string>(table, "strip_prefix", {}, where);
  out.add_prefix = get_or<std::string>(table, "add_prefix", {}, where);
  for (const auto* prefix : {&out.strip_prefix, &out.add_prefix}) {
    for (char c : *prefix) {
      if (!std::isdigit(static_cast<unsigned char>(c)) && c != '+' && c != '*' && c != '#')
        throw Problem(where + ": strip_prefix and add_prefix: digits, +, * and # only");
    }
  }
  out.agent_ring_timeout = seconds_or(table, "agent_ring_timeout_s", seconds(20), where);
  out.ring_timeout = seconds_or(table, "ring_timeout_s", seconds(60), where);
  if (out.agent_ring_timeout.count() == 0 || out.ring_timeout.count() == 0)
    throw Problem(where + ": agent_ring_timeout_s and ring_timeout_s: at least 1");
  return out;
}

const toml::array* array_of(const toml::table& root, std::string_view key) {
  const toml::node* node = root.get(key);
  if (node == nullptr) return nullptr;
  const toml::array* array = node->as_array();
  if (array == nullptr) throw Problem(std::string(key) + ": must be an array of tables ([[" + std::string(key) + "]])");
  return array;
}

AcdSetup parse_root(const toml::table& root) {
  AcdSetup setup;
  std::set<std::string> queue_names;
  if (const toml::array* queues = array_of(root, "queue")) {
    std::size_t i = 0;
    for (const auto& item : *queues) {
      const toml::table* table = item.as_table();
      if (table == nullptr) throw Problem(entry_name("queue", i, {}) + ": must be a table");
      setup.queues.push_back(parse_queue(*table, i));
      if (!queue_names.insert(setup.queues.back().routing.id).second)
        throw Problem(entry_name("queue", i, setup.queues.back().routing.id) + ": name: duplicate");
      ++i;
    }
  }
  for (const auto& q : setup.queues) {
    if (q.overflow == acd::OverflowKind::queue && !queue_names.contains(q.routing.overflow_target))
      throw Problem("queue '" + q.routing.id + "': overflow: no queue named '" + q.routing.overflow_target + "'");
  }
  std::set<std::string> agent_ids;
  std::set<std::string> extensions;
  if (const toml::array* agents = array_of(root, "agent")) {
    std::size_t i = 0;
    for (const auto& item : *agents) {
      const toml::table* table = item.as_table();
      if (table == nullptr) throw Problem(entry_name("agent", i, {}) + ": must be a table");
      AgentAccount agent = parse_agent(*table, i);
      const std::string where = entry_name("agent", i, agent.settings.routing.id);
      if (!agent_ids.insert(agent.settings.routing.id).second) throw Problem(where + ": id: duplicate");
      for (const auto& [queue, penalty] : agent.settings.routing.queues) {
        if (!queue_names.contains(queue)) throw Problem(where + ": queues: no queue named '" + queue + "'");
      }
      for (const auto& extension : agent.settings.extensions) {
        if (!extensions.insert(extension).second)
          throw Problem(where + ": extensions: '" + extension + "' already belongs to another agent");
      }
      setup.agents.push_back(std::move(agent));
      ++i;
    }
  }
  if (const toml::array* customers = array_of(root, "customer")) {
    std::size_t i = 0;
    for (const auto& item : *customers) {
      const toml::table* table = item.as_table();
      if (table == nullptr) throw Problem(entry_name("customer", i, {}) + ": must be a table");
      const std::string where = entry_name("customer", i, get_or<std::string>(*table, "name", {}, entry_name("customer", i, {})));
      CustomerSeed customer;
      customer.name = required_string(*table, "name", where);
      customer.vip_tier = static_cast<int>(get_or<std::int64_t>(*table, "vip_tier", 0, where));
      if (customer.vip_tier < 0 || customer.vip_tier > 9) throw Problem(where + ": vip_tier: must be 0 .. 9");
      customer.phones = string_list(*table, "phones", where);
      setup.customers.push_back(std::move(customer));
      ++i;
    }
  }
  if (const toml::array* routes = array_of(root, "route")) {
    std::size_t i = 0;
    for (const auto& item : *routes) {
      const toml::table* table = item.as_table();
      if (table == nullptr) throw Problem(entry_name("route", i, {}) + ": must be a table");
      const std::string where = entry_name("route", i, {});
      ServiceRoute route{required_string(*table, "number", where), required_string(*table, "queue", where)};
      if (!queue_names.contains(route.queue)) throw Problem(where + ": queue: no queue named '" + route.queue + "'");
      setup.routes.push_back(std::move(route));
      ++i;
    }
  }
  if (const toml::node* node = root.get("outbound")) {
    const toml::table* table = node->as_table();
    if (table == nullptr) throw Problem("outbound: must be a table ([outbound])");
    setup.outbound = parse_outbound(*table);
  }
  setup.menu_queue = get_or<std::string>(root, "menu_queue", setup.queues.empty() ? std::string() : setup.queues.front().routing.id, "menu_queue");
  if (!setup.menu_queue.empty() && !queue_names.contains(setup.menu_queue))
    throw Problem("menu_queue: no queue named '" + setup.menu_queue + "'");
  return setup;
}

}  // namespace

Result<AcdSetup, std::string> parse_acd_setup(std::string_view toml_text, std::string_view source) {
  try {
    toml::table root = toml::parse(toml_text, source);
    return parse_root(root);
  } catch (const toml::parse_error& e) {
    std::ostringstream message;
    message << source << ":" << e.source().begin.line << ":" << e.source().begin.column << ": "
            << e.description();
    return unexpected(message.str());
  } catch (const Problem& e) {
    return unexpected(std::string(source) + ": " + e.what());
  }
}

Result<AcdSetup, std::string> load_acd_setup(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return unexpected("cannot read " + path);
  std::stringstream text;
  text << file.rdbuf();
  return parse_acd_setup(text.str(), path);
}

}  // namespace kefu::app
