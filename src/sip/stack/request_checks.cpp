#include "sip/stack/request_checks.hpp"

#include <algorithm>

namespace kefu::sip {
namespace {

std::string_view trim(std::string_view text) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

bool accepts_sdp(const Message& request) {
  bool any_accept = false;
  for (const HeaderField& field : request.headers()) {
    if (field.id != HeaderId::Accept) continue;
    any_accept = true;
  }
  if (!any_accept) return true;  // §20.1: no Accept means application/sdp
  for (std::string_view value : request.header_values(HeaderId::Accept)) {
    const std::string_view type = media_type(value);
    if (iequals(type, kAcceptedBody) || iequals(type, "application/*") || type == "*/*") {
      return true;
    }
  }
  return false;  // includes an empty Accept: "no formats are acceptable"
}

}  // namespace

std::string_view media_type(std::string_view value) {
  const std::size_t semicolon = value.find(';');
  return trim(value.substr(0, semicolon));
}

std::string allow_header(const UaCapabilities& capabilities) {
  std::string allow = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REFER";
  if (capabilities.registrar) allow += ", REGISTER";
  return allow;
}

std::optional<ResponseSpec> check_request(const Message& request,
                                          const UaCapabilities& capabilities) {
  // §8.2.1: a method we do not know at all.
  if (request.method() == Method::Unknown) {
    return ResponseSpec{501, {}, {{"Allow", allow_header(capabilities)}}, {}, {}};
  }
  // §8.2.2.1: only SIP URIs address us.
  const Scheme scheme = request.request_uri().scheme;
  if (scheme != Scheme::Sip && scheme != Scheme::Sips) {
    return ResponseSpec{416, {}, {}, {}, {}};
  }
  const Method method = request.method();
  if (method == Method::Ack || method == Method::Cancel) return std::nullopt;
  // §8.2.2.3: every Require option tag must be one we implement.
  std::string unsupported;
  for (std::string_view tag : request.header_values(HeaderId::Require)) {
    tag = trim(tag);
    if (tag.empty()) continue;
    const bool known = std::any_of(capabilities.supported.begin(), capabilities.supported.end(),
                                   [&](const std::string& ours) { return iequals(ours, tag); });
    if (known) continue;
    if (!unsupported.empty()) unsupported += ", ";
    unsupported += tag;
  }
  if (!unsupported.empty()) {
    return ResponseSpec{420, {}, {{"Unsupported", unsupported}}, {}, {}};
  }
  // §8.2.3: a session description we cannot read, or an answer the caller cannot read.
  if (method == Method::Invite || method == Method::Update) {
    if (!request.body().empty() && !iequals(media_type(request.content_type()), kAcceptedBody)) {
      return ResponseSpec{415, {}, {{"Accept", std::string(kAcceptedBody)}}, {}, {}};
    }
    if (method == Method::Invite && !accepts_sdp(request)) {
      return ResponseSpec{406, {}, {{"Accept", std::string(kAcceptedBody)}}, {}, {}};
    }
  }
  return std::nullopt;
}

}  // namespace kefu::sip
