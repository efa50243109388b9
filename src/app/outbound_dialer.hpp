#pragma once
// Dialing a number a person typed (click-to-call now, blind transfer to a number next): an
// extension with a registered phone is called directly; anything else must be a valid phone
// number and goes to the configured gateway, the Request-URI user written the way the gateway
// expects (OutboundConfig::number_format, add_prefix). Runs on the control loop.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "acd/queue_service.hpp"
#include "app/acd_config.hpp"
#include "call/call_manager.hpp"
#include "common/result.hpp"

namespace kefu::crm {
class PhoneNumbers;
}

namespace kefu::app {

enum class DialProblem : std::uint8_t {
  invalid_number,  // not an extension and not a valid phone number
  no_gateway,      // an outside number, but no [outbound] gateway is configured
  not_reachable,   // an extension without a registered phone
  failed,          // nothing could be sent (no media port, transport error)
};

struct DialError {
  DialProblem problem = DialProblem::failed;
  std::string message;
};

enum class RouteKind : std::uint8_t { extension, gateway };

// Where a typed number goes.
struct OutboundRoute {
  RouteKind kind = RouteKind::gateway;
  std::string number;  // for records and events: the extension, or the number in E.164
  std::string target;  // Request-URI
  std::optional<sip::Destination> destination;  // a registered phone's flow
};

struct DialOptions {
  // Calls to extensions show this caller; gateway calls show OutboundConfig::caller_id when set.
  std::string caller;
  std::string caller_display;
  std::optional<media::SessionId> same_thread_as;  // the leg this one will be bridged with
  std::optional<media::Codec> preferred_codec;
  sip::HeaderList headers;
};

// Where `typed` goes, by the rules above (OutboundDialer::resolve with its own parts).
Result<OutboundRoute, DialError> resolve_number(
    std::string_view typed, const OutboundConfig& config, const crm::PhoneNumbers& numbers,
    const acd::ContactFinder& contacts,
    const std::function<bool(const std::string&)>& is_extension);

class OutboundDialer {
 public:
  // `is_extension` says whether a number is one of the configured agents' extensions.
  OutboundDialer(call::CallManager& calls, const crm::PhoneNumbers& numbers,
                 acd::ContactFinder contacts, std::function<bool(const std::string&)> is_extension,
                 OutboundConfig config);

  Result<OutboundRoute, DialError> resolve(std::string_view typed) const;
  Result<std::shared_ptr<call::Leg>, DialError> dial(const OutboundRoute& route,
                                                     const DialOptions& options);
  const OutboundConfig& config() const { return config_; }

 private:
  call::CallManager& calls_;
  const crm::PhoneNumbers& numbers_;
  acd::ContactFinder contacts_;
  std::function<bool(const std::string&)> is_extension_;
  OutboundConfig config_;
};

}  // namespace kefu::app
