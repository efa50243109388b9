#include "app/outbound_dialer.hpp"

#include <cctype>

#include "crm/phone_numbers.hpp"

namespace kefu::app {

namespace {

constexpr std::size_t kMaxTyped = 40;

std::string digits_only(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (std::isdigit(static_cast<unsigned char>(c))) out.push_back(c);
  }
  return out;
}

}  // namespace

OutboundDialer::OutboundDialer(call::CallManager& calls, const crm::PhoneNumbers& numbers,
                               acd::ContactFinder contacts,
                               std::function<bool(const std::string&)> is_extension,
                               OutboundConfig config)
    : calls_(calls),
      numbers_(numbers),
      contacts_(std::move(contacts)),
      is_extension_(std::move(is_extension)),
      config_(std::move(config)) {}

Result<OutboundRoute, DialError> OutboundDialer::resolve(std::string_view typed) const {
  return resolve_number(typed, config_, numbers_, contacts_, is_extension_);
}

Result<OutboundRoute, DialError> resolve_number(
    std::string_view typed, const OutboundConfig& config, const crm::PhoneNumbers& numbers,
    const acd::ContactFinder& contacts,
    const std::function<bool(const std::string&)>& is_extension) {
  if (typed.empty() || typed.size() > kMaxTyped)
    return unexpected(DialError{DialProblem::invalid_number, "must be 1 to 40 characters"});
  const std::string text(typed);
  // Internal numbers first: what a registered phone answers to never goes out.
  auto found = contacts(text);
  if (!found.empty()) {
    return OutboundRoute{RouteKind::extension, text, found.front().target,
                         found.front().destination};
  }
  if (is_extension(text)) {
    return unexpected(
        DialError{DialProblem::not_reachable, "extension " + text + " has no registered phone"});
  }
  std::string_view number = typed;
  if (!config.strip_prefix.empty() && number.size() > config.strip_prefix.size() &&
      number.starts_with(config.strip_prefix))
    number.remove_prefix(config.strip_prefix.size());
  auto e164 = numbers.normalize(number, config.region);
  if (!e164) return unexpected(DialError{DialProblem::invalid_number, e164.error()});
  if (config.gateway.empty()) {
    return unexpected(DialError{DialProblem::no_gateway,
                                "no outbound gateway is configured for outside numbers"});
  }
  // National: as dialled from a phone in `region` (with the international prefix, e.g. 00, for
  // numbers of other countries).
  std::string user = config.number_format == GatewayNumberFormat::e164
                         ? *e164
                         : digits_only(numbers.display(*e164, config.region));
  user = config.add_prefix + user;
  // "sip:host:port" → "sip:user@host:port"
  std::string target = "sip:" + user + "@" + config.gateway.substr(4);
  return OutboundRoute{RouteKind::gateway, *e164, std::move(target), std::nullopt};
}

Result<std::shared_ptr<call::Leg>, DialError> OutboundDialer::dial(const OutboundRoute& route,
                                                                   const DialOptions& options) {
  call::DialRequest request;
  request.target = route.target;
  request.callee = route.number;
  request.destination = route.destination;
  request.caller = options.caller;
  request.caller_display = options.caller_display;
  if (route.kind == RouteKind::gateway) {
    // The carrier sees our number, not an agent's extension.
    if (!config_.caller_id.empty()) request.caller = config_.caller_id;
    if (!config_.caller_name.empty()) request.caller_display = config_.caller_name;
  }
  request.same_thread_as = options.same_thread_as;
  request.preferred_codec = options.preferred_codec;
  request.headers = options.headers;
  auto dialed = calls_.dial(request);
  if (!dialed) return unexpected(DialError{DialProblem::failed, dialed.error()});
  return *dialed;
}

}  // namespace kefu::app
