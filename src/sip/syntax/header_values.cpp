// Structured header values: name-addr / addr-spec, Via, generic parameters
// (RFC 3261 §20.10, §20.42, §25.1).
#include "sip/message.hpp"
#include "sip/syntax/scan.hpp"

namespace kefu::sip {
namespace detail {
namespace {

// gen-value = token / host / quoted-string. Unquoted values also take the characters a
// host or an IPv6 address brings (":[]") and a few that deployed stacks put in tokens.
bool is_gen_value_char(char c) {
  return has_class(c, kToken) || std::string_view(":[]/?@&=$").find(c) != std::string_view::npos;
}

}  // namespace

bool parse_header_params(std::string_view text, std::size_t pos, std::vector<Param>& params) {
  while (true) {
    pos = skip_ws(text, pos);
    if (pos == text.size()) return true;
    if (text[pos] != ';') return false;
    pos = skip_ws(text, pos + 1);
    const std::size_t name_end = scan_class(text, pos, kToken);
    if (name_end == pos) return false;
    Param param;
    param.name = text.substr(pos, name_end - pos);
    pos = skip_ws(text, name_end);
    if (pos < text.size() && text[pos] == '=') {
      pos = skip_ws(text, pos + 1);
      std::size_t value_end = pos;
      if (pos < text.size() && text[pos] == '"') {
        const std::size_t close = find_closing_quote(text, pos);
        if (close == std::string_view::npos) return false;
        value_end = close + 1;  // quotes kept: the value is shown as written
      } else {
        while (value_end < text.size() && is_gen_value_char(text[value_end])) ++value_end;
      }
      if (value_end == pos) return false;
      param.value = text.substr(pos, value_end - pos);
      param.has_value = true;
      pos = value_end;
    }
    if (params.empty()) params.reserve(4);  // one allocation for the usual few
    params.push_back(param);
  }
}

}  // namespace detail

namespace {

bool has_lws(std::string_view text) {
  for (char c : text) {
    if (detail::is_lws_char(c)) return true;
  }
  return false;
}

// display-name = *(token LWS) / quoted-string; here the unquoted form. Non-ASCII octets are
// tolerated (phones send "Jürgen <sip:...>" unquoted); ASCII separators such as ',' are not
// (RFC 4475 baddn: 400).
bool is_token_display_name(std::string_view text) {
  for (char c : text) {
    if (!detail::has_class(c, detail::kToken) && !detail::is_lws_char(c) &&
        static_cast<unsigned char>(c) < 0x80) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<NameAddr> parse_name_addr(std::string_view text) {
  text = detail::trim(text);
  if (text.empty()) return std::nullopt;
  NameAddr result;
  result.text = text;
  if (text == "*") {
    result.wildcard = true;
    return result;
  }
  std::size_t pos = 0;
  bool angle_form = false;
  if (text.front() == '"') {
    const std::size_t close = detail::find_closing_quote(text, 0);
    if (close == std::string_view::npos) return std::nullopt;
    result.display_name = text.substr(1, close - 1);
    pos = detail::skip_ws(text, close + 1);
    if (pos >= text.size() || text[pos] != '<') return std::nullopt;
    angle_form = true;
  } else {
    std::size_t special = 0;  // the first of '<' ';' '"' (a hand loop: find_first_of is slow)
    while (special < text.size() && text[special] != '<' && text[special] != ';' &&
           text[special] != '"') {
      ++special;
    }
    if (special == text.size()) special = std::string_view::npos;
    if (special != std::string_view::npos && text[special] == '<') {
      const std::string_view display = detail::trim(text.substr(0, special));
      if (!is_token_display_name(display)) return std::nullopt;
      result.display_name = display;
      pos = special;
      angle_form = true;
    }
  }

  if (angle_form) {
    const std::size_t close = text.find('>', pos);
    if (close == std::string_view::npos) return std::nullopt;
    const std::string_view inner = text.substr(pos + 1, close - pos - 1);
    // "< sip:... >" (RFC 4475 badaspec) is rejected: no LWS inside the brackets.
    if (inner.empty() || has_lws(inner)) return std::nullopt;
    auto uri = Uri::parse(inner);
    if (!uri) return std::nullopt;
    result.uri = std::move(*uri);
    pos = close + 1;
  } else {
    // addr-spec: a URI with ';', ',' or '?' must be in <> (§20.10), so ';' starts the
    // header parameters (cparam01) and '?' or ',' make it invalid (regbadct).
    std::size_t uri_end = text.find(';');
    if (uri_end == std::string_view::npos) uri_end = text.size();
    const std::string_view uri_text = detail::trim(text.substr(0, uri_end));
    if (uri_text.empty() || has_lws(uri_text) || uri_text.find('?') != std::string_view::npos ||
        uri_text.find(',') != std::string_view::npos) {
      return std::nullopt;
    }
    auto uri = Uri::parse(uri_text);
    if (!uri) return std::nullopt;
    result.uri = std::move(*uri);
    pos = uri_end;
  }
  if (!detail::parse_header_params(text, pos, result.params)) return std::nullopt;
  return result;
}

std::optional<std::vector<NameAddr>> parse_name_addr_list(std::string_view text) {
  std::vector<NameAddr> list;
  const bool ok =
      detail::for_each_list_item(text, detail::ListItems::RejectEmpty, [&](std::string_view item) {
        auto name_addr = parse_name_addr(item);
        if (!name_addr) return false;
        list.push_back(std::move(*name_addr));
        return true;
      });
  if (!ok || list.empty()) return std::nullopt;
  return list;
}

std::optional<Via> parse_via(std::string_view text) {
  using detail::skip_ws;
  text = detail::trim(text);
  Via via;
  via.text = text;
  // sent-protocol = protocol-name SLASH protocol-version SLASH transport, SLASH = SWS "/" SWS
  const std::size_t name_end = detail::scan_class(text, 0, detail::kToken);
  if (name_end == 0) return std::nullopt;
  std::size_t pos = skip_ws(text, name_end);
  if (pos >= text.size() || text[pos] != '/') return std::nullopt;
  pos = skip_ws(text, pos + 1);
  const std::size_t version_start = pos;
  const std::size_t version_end = detail::scan_class(text, pos, detail::kToken);
  if (version_end == version_start) return std::nullopt;
  pos = skip_ws(text, version_end);
  if (pos >= text.size() || text[pos] != '/') return std::nullopt;
  pos = skip_ws(text, pos + 1);
  const std::size_t transport_end = detail::scan_class(text, pos, detail::kToken);
  if (transport_end == pos) return std::nullopt;
  via.transport = text.substr(pos, transport_end - pos);

  via.protocol = text.substr(0, version_end);
  if (has_lws(via.protocol) && iequals(text.substr(0, name_end), "SIP") &&
      text.substr(version_start, version_end - version_start) == "2.0") {
    via.protocol = "SIP/2.0";  // folded "SIP / 2.0" (wsinv): report the protocol plainly
  }

  pos = transport_end;
  if (pos >= text.size() || !detail::is_lws_char(text[pos])) return std::nullopt;
  pos = skip_ws(text, pos);
  std::size_t host_end = pos;
  if (pos < text.size() && text[pos] == '[') {
    host_end = text.find(']', pos);
    if (host_end == std::string_view::npos) return std::nullopt;
    ++host_end;
  } else {
    host_end = detail::scan_class(text, pos, detail::kHostname);
  }
  via.host = text.substr(pos, host_end - pos);
  if (!detail::is_valid_host(via.host)) return std::nullopt;
  pos = host_end;
  const std::size_t after_host = skip_ws(text, pos);
  if (after_host < text.size() && text[after_host] == ':') {
    const std::size_t port_start = skip_ws(text, after_host + 1);
    const std::size_t port_end = detail::scan_class(text, port_start, detail::kDigit);
    const auto port = detail::parse_decimal(text.substr(port_start, port_end - port_start), 65535);
    if (!port) return std::nullopt;
    via.port = static_cast<std::uint16_t>(*port);
    pos = port_end;
  }
  if (!detail::parse_header_params(text, pos, via.params)) return std::nullopt;
  return via;
}

}  // namespace kefu::sip
