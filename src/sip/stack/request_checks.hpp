#pragma once
// UA core checks on a new request, RFC 3261 §8.2.1-§8.2.3 (and RFC 4475 §3.3): method,
// Request-URI scheme, Require, Content-Type and Accept. The first failure is the answer.
#include <optional>
#include <string>
#include <vector>

#include "sip/message.hpp"
#include "sip/stack/transaction.hpp"

namespace kefu::sip {

struct UaCapabilities {
  bool registrar = false;              // REGISTER is handled (listed in Allow)
  std::vector<std::string> supported;  // option tags we implement
};

std::string allow_header(const UaCapabilities& capabilities);
inline constexpr std::string_view kAcceptedBody = "application/sdp";

// The error response for `request`, or nullopt when the UA core may process it.
std::optional<ResponseSpec> check_request(const Message& request,
                                          const UaCapabilities& capabilities);

// Media type of a Content-Type/Accept value without parameters, e.g. "application/sdp".
std::string_view media_type(std::string_view value);

}  // namespace kefu::sip
