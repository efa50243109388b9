// SIP/SIPS/TEL URIs and absoluteURI (RFC 3261 §19.1, §25.1; RFC 3966; RFC 5118).
#include "sip/message.hpp"
#include "sip/syntax/scan.hpp"

namespace kefu::sip {
namespace detail {
namespace {

bool is_ipv4(std::string_view text) {
  int octets = 0;
  int digits = 0;
  int value = 0;
  for (char c : text) {
    if (is_digit(c)) {
      value = value * 10 + (c - '0');
      if (++digits > 3 || value > 255) return false;
    } else if (c == '.' && digits > 0 && octets < 3) {
      ++octets;
      digits = 0;
      value = 0;
    } else {
      return false;
    }
  }
  return octets == 3 && digits > 0;
}

// hostname = *( domainlabel "." ) toplabel [ "." ]; labels of alphanum and inner '-'.
// '_' is tolerated: it shows up in deployed SRV-style names.
bool is_hostname(std::string_view text) {
  if (text.empty()) return false;
  if (text.back() == '.') text.remove_suffix(1);
  if (text.empty()) return false;
  std::size_t label_start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && text[i] != '.') {
      if (!has_class(text[i], kHostname)) return false;
      continue;
    }
    const std::string_view label = text.substr(label_start, i - label_start);
    if (label.empty() || label.front() == '-' || label.back() == '-') return false;
    label_start = i + 1;
  }
  return true;
}

}  // namespace

bool is_valid_ipv6(std::string_view address) {
  // Groups of 1-4 hex digits separated by ':', one "::" run, an optional trailing IPv4.
  // RFC 5118 §4.10: tolerate the 3-colon form that RFC 3261's ABNF allows ("::" + ":").
  if (address.size() < 2) return false;
  int groups = 0;
  bool compressed = false;
  std::size_t pos = 0;
  if (address.starts_with("::")) {
    compressed = true;
    pos = 2;
  } else if (address.front() == ':') {
    return false;
  }
  while (pos < address.size()) {
    const std::size_t end = scan_class(address, pos, kHex);
    if (end < address.size() && address[end] == '.') {
      // Embedded IPv4 must be the last part.
      if (!is_ipv4(address.substr(pos))) return false;
      groups += 2;
      pos = address.size();
      break;
    }
    if (end == pos || end - pos > 4) return false;
    ++groups;
    pos = end;
    if (pos == address.size()) break;
    if (address[pos] != ':') return false;
    ++pos;
    if (pos < address.size() && address[pos] == ':') {
      if (compressed) return false;
      compressed = true;
      ++pos;
      if (pos < address.size() && address[pos] == ':') ++pos;  // the tolerated 3rd colon
      if (pos == address.size()) break;
    } else if (pos == address.size()) {
      return false;  // trailing single ':'
    }
  }
  return compressed ? groups <= 7 : groups == 8;
}

bool is_valid_host(std::string_view host) {
  if (host.empty()) return false;
  if (host.front() == '[') {
    return host.size() > 2 && host.back() == ']' && is_valid_ipv6(host.substr(1, host.size() - 2));
  }
  // A dotted all-digit name must be a correct IPv4 address.
  bool digits_and_dots = true;
  for (char c : host) digits_and_dots = digits_and_dots && (is_digit(c) || c == '.');
  if (digits_and_dots) return is_ipv4(host);
  return is_hostname(host);
}

}  // namespace detail

namespace {

using detail::has_class;
using detail::is_escaped_run;

constexpr std::uint16_t kUserChars = detail::kUnreserved | detail::kUserExtra;
constexpr std::uint16_t kPasswordChars = detail::kUnreserved | detail::kPasswordExtra;
constexpr std::uint16_t kParamChars = detail::kUnreserved | detail::kParamExtra;
constexpr std::uint16_t kHeaderChars = detail::kUnreserved | detail::kHeaderExtra;

// uri-parameters after the host (or the tel number): *( ";" pname [ "=" pvalue ] ), then
// optionally "?" headers. `text` starts at the first ';' or '?' (or is empty).
bool parse_uri_tail(std::string_view text, Uri& uri) {
  std::size_t pos = 0;
  while (pos < text.size() && text[pos] == ';') {
    ++pos;
    std::size_t end = pos;
    while (end < text.size() && text[end] != ';' && text[end] != '?' && text[end] != '=') ++end;
    Param param;
    param.name = text.substr(pos, end - pos);
    if (param.name.empty() || !is_escaped_run(param.name, kParamChars)) return false;
    pos = end;
    if (pos < text.size() && text[pos] == '=') {
      ++pos;
      end = pos;
      while (end < text.size() && text[end] != ';' && text[end] != '?') ++end;
      param.value = text.substr(pos, end - pos);
      param.has_value = true;
      if (param.value.empty() || !is_escaped_run(param.value, kParamChars)) return false;
      pos = end;
    }
    if (uri.params.empty()) uri.params.reserve(4);  // one allocation for the usual few
    uri.params.push_back(param);
  }
  if (pos == text.size()) return true;
  if (text[pos] != '?') return false;
  uri.headers = text.substr(pos + 1);
  // hname "=" hvalue *( "&" hname "=" hvalue ); characters checked, structure left loose.
  return !uri.headers.empty() && is_escaped_run(uri.headers, kHeaderChars | detail::kPasswordExtra);
}

bool parse_sip_uri(std::string_view rest, Uri& uri) {
  // '@' can only delimit userinfo: host, parameters and headers never hold a raw '@'.
  const std::size_t at = rest.find('@');
  if (at != std::string_view::npos) {
    const std::string_view userinfo = rest.substr(0, at);
    const std::size_t colon = userinfo.find(':');
    uri.user = userinfo.substr(0, colon);
    if (uri.user.empty() || !is_escaped_run(uri.user, kUserChars)) return false;
    if (colon != std::string_view::npos) {
      uri.password = userinfo.substr(colon + 1);
      if (!is_escaped_run(uri.password, kPasswordChars)) return false;
    }
    rest.remove_prefix(at + 1);
  }
  std::size_t host_end = 0;
  if (!rest.empty() && rest.front() == '[') {
    host_end = rest.find(']');
    if (host_end == std::string_view::npos) return false;
    ++host_end;
  } else {
    while (host_end < rest.size() && rest[host_end] != ':' && rest[host_end] != ';' &&
           rest[host_end] != '?') {
      ++host_end;
    }
  }
  uri.host = rest.substr(0, host_end);
  if (!detail::is_valid_host(uri.host)) return false;
  std::size_t pos = host_end;
  if (pos < rest.size() && rest[pos] == ':') {
    ++pos;
    const std::size_t port_end = detail::scan_class(rest, pos, detail::kDigit);
    const auto port = detail::parse_decimal(rest.substr(pos, port_end - pos), 65535);
    if (!port) return false;
    uri.port = static_cast<std::uint16_t>(*port);
    pos = port_end;
  }
  return parse_uri_tail(rest.substr(pos), uri);
}

// tel: telephone-subscriber (RFC 3966): the number lands in `user`, parameters in `params`.
bool parse_tel_uri(std::string_view rest, Uri& uri) {
  std::size_t end = 0;
  while (end < rest.size() && rest[end] != ';' && rest[end] != '?') ++end;
  uri.user = rest.substr(0, end);
  if (uri.user.empty()) return false;
  for (char c : uri.user) {
    if (!has_class(c, detail::kAlnum) &&
        std::string_view("*#+-.()%").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return parse_uri_tail(rest.substr(end), uri);
}

// absoluteURI (RFC 2396 opaque or hierarchical part): printable ASCII other than <>" and SP.
bool is_absolute_uri_rest(std::string_view rest) {
  if (rest.empty()) return false;
  for (char c : rest) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f || c == '<' || c == '>' || c == '"') return false;
  }
  return true;
}

}  // namespace

std::optional<Uri> Uri::parse(std::string_view text) {
  Uri uri;
  uri.text = text;
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  uri.scheme_text = text.substr(0, colon);
  if (!has_class(uri.scheme_text.front(), detail::kAlnum) ||
      detail::is_digit(uri.scheme_text.front()) ||
      !detail::all_of_class(uri.scheme_text, detail::kSchemeRest)) {
    return std::nullopt;
  }
  const std::string_view rest = text.substr(colon + 1);
  bool ok = false;
  if (iequals(uri.scheme_text, "sip")) {
    uri.scheme = Scheme::Sip;
    ok = parse_sip_uri(rest, uri);
  } else if (iequals(uri.scheme_text, "sips")) {
    uri.scheme = Scheme::Sips;
    ok = parse_sip_uri(rest, uri);
  } else if (iequals(uri.scheme_text, "tel")) {
    uri.scheme = Scheme::Tel;
    ok = parse_tel_uri(rest, uri);
  } else {
    uri.scheme = Scheme::Other;
    ok = is_absolute_uri_rest(rest);
  }
  if (!ok) return std::nullopt;
  return uri;
}

std::string unescape(std::string_view escaped) {
  std::string out;
  out.reserve(escaped.size());
  auto hex_value = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < escaped.size(); ++i) {
    if (escaped[i] == '%' && i + 2 < escaped.size()) {
      const int high = hex_value(escaped[i + 1]);
      const int low = hex_value(escaped[i + 2]);
      if (high >= 0 && low >= 0) {
        out.push_back(static_cast<char>(high * 16 + low));
        i += 2;
        continue;
      }
    }
    out.push_back(escaped[i]);
  }
  return out;
}

}  // namespace kefu::sip
