// Message::parse (RFC 3261 §7, §20; RFC 4475 torture cases) and the Message accessors.
// One pass finds the lines and unfolds continuation lines in place (the CRLF before a
// folded line becomes two spaces, so offsets, the body and Content-Length stay correct);
// the core headers are then interpreted eagerly. Failures are values, never exceptions.
#include <limits>

#include "sip/message.hpp"
#include "sip/syntax/scan.hpp"

namespace kefu::sip {
namespace {

// The fault found first; `what` names it in the reason phrase ("Bad Request (what)").
struct Fault {
  int status = 400;
  std::string what;
};

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

std::string_view trim_right(std::string_view text) {
  while (!text.empty() && detail::is_wsp(text.back())) text.remove_suffix(1);
  return text;
}

bool has_lws(std::string_view text) {
  for (char c : text) {
    if (detail::is_lws_char(c)) return true;
  }
  return false;
}

// Headers whose values are never comma lists (§7.3.1 lists only the list-shaped ones;
// the auth headers use commas between parameters, Date inside its value).
bool is_single_value_header(HeaderId id) {
  switch (id) {
    case HeaderId::From:
    case HeaderId::To:
    case HeaderId::CallId:
    case HeaderId::CSeq:
    case HeaderId::MaxForwards:
    case HeaderId::ContentLength:
    case HeaderId::ContentType:
    case HeaderId::Expires:
    case HeaderId::Authorization:
    case HeaderId::ProxyAuthorization:
    case HeaderId::WwwAuthenticate:
    case HeaderId::ProxyAuthenticate:
    case HeaderId::UserAgent:
    case HeaderId::Server:
    case HeaderId::Event:
    case HeaderId::ReferTo:
    case HeaderId::Subject:
    case HeaderId::Date:
    case HeaderId::Other:
      return true;
    default:
      return false;
  }
}

}  // namespace

class MessageParser {
 public:
  explicit MessageParser(std::string bytes) {
    message_.bytes_ = std::make_unique<std::string>(std::move(bytes));
  }

  ParseResult run() {
    std::string& buffer = *message_.bytes_;
    // CRLFs before the start-line are ignored (§7.5); drop them before any view exists.
    std::size_t lead = 0;
    while (lead < buffer.size() && (buffer[lead] == '\r' || buffer[lead] == '\n')) ++lead;
    buffer.erase(0, lead);

    const std::size_t start_line_end = buffer.find('\n');
    if (start_line_end == std::string::npos) return failure({400, "Incomplete message"});
    std::string_view start_line(buffer.data(), start_line_end);
    if (!start_line.empty() && start_line.back() == '\r') start_line.remove_suffix(1);
    is_request_ = !starts_with_nocase(start_line, "SIP/");

    const std::size_t body_start = scan_headers(start_line_end + 1);
    if (auto fault = parse_start_line(start_line)) return failure(*fault);
    if (header_fault_) return failure(*header_fault_);
    if (auto fault = interpret_headers()) return failure(*fault);
    if (auto fault = check_required()) return failure(*fault);
    if (auto fault = take_body(body_start)) return failure(*fault);
    return std::move(message_);
  }

 private:
  ParseResult failure(const Fault& fault) const {
    ParseError error;
    error.status = fault.status;
    error.is_request = is_request_;
    if (fault.status == 505) {
      error.reason = "Version Not Supported";
    } else {
      error.reason = std::string(default_reason(fault.status)) + " (" + fault.what + ")";
    }
    for (const HeaderField& field : message_.headers_) {
      switch (field.id) {
        case HeaderId::Via:
        case HeaderId::From:
        case HeaderId::To:
        case HeaderId::CallId:
        case HeaderId::CSeq: {
          const char* begin = field.name.data();
          const char* end = field.value.data() + field.value.size();
          error.echo_headers.append(begin, static_cast<std::size_t>(end - begin));
          error.echo_headers.append("\r\n");
          break;
        }
        default:
          break;
      }
    }
    return unexpected(std::move(error));
  }

  void note_header_fault(std::string_view what) {
    if (!header_fault_) header_fault_ = Fault{400, std::string(what)};
  }

  // Splits the header section into fields, unfolding continuation lines in place.
  // Returns where the body starts: after the empty line, or the end of the buffer when the
  // datagram ends without one (tolerated: the RFC 5118 archive has such messages).
  std::size_t scan_headers(std::size_t pos) {
    std::string& buffer = *message_.bytes_;
    message_.headers_.reserve(24);
    while (pos < buffer.size()) {
      if (buffer[pos] == '\n') return pos + 1;
      if (buffer[pos] == '\r' && pos + 1 < buffer.size() && buffer[pos + 1] == '\n') return pos + 2;
      const std::size_t field_start = pos;
      std::size_t field_end = buffer.size();
      std::size_t next = buffer.size();
      while (true) {
        const std::size_t newline = buffer.find('\n', pos);
        if (newline == std::string::npos) break;
        next = newline + 1;
        const std::size_t content_end =
            (newline > pos && buffer[newline - 1] == '\r') ? newline - 1 : newline;
        if (next < buffer.size() && detail::is_wsp(buffer[next])) {
          for (std::size_t i = content_end; i <= newline; ++i) buffer[i] = ' ';
          pos = next;
          continue;
        }
        field_end = content_end;
        break;
      }
      add_field(std::string_view(buffer.data() + field_start, field_end - field_start));
      pos = next;
    }
    return buffer.size();
  }

  void add_field(std::string_view line) {
    if (line.empty() || detail::is_wsp(line.front())) {
      note_header_fault("Invalid header line");  // a continuation of the start-line
      return;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      note_header_fault("Invalid header line");
      return;
    }
    HeaderField field;
    field.name = trim_right(line.substr(0, colon));
    if (!detail::is_token(field.name)) {
      note_header_fault("Invalid header name");
      return;
    }
    field.value = detail::trim(line.substr(colon + 1));
    field.id = header_id_from_name(field.name);
    message_.headers_.push_back(field);
  }

  std::optional<Fault> parse_start_line(std::string_view line) {
    line = trim_right(line);
    const std::size_t first_space = line.find(' ');
    if (!is_request_) return parse_status_line(line, first_space);
    const std::size_t last_space = line.rfind(' ');
    if (first_space == std::string_view::npos || first_space == last_space) {
      return Fault{400, "Invalid Request-Line"};
    }
    const std::string_view version = line.substr(last_space + 1);
    if (!iequals(version, "SIP/2.0")) {
      if (starts_with_nocase(version, "SIP/")) return Fault{505, "Version Not Supported"};
      return Fault{400, "Invalid SIP-Version"};
    }
    message_.method_text_ = line.substr(0, first_space);
    if (!detail::is_token(message_.method_text_)) return Fault{400, "Invalid Method"};
    message_.method_ = method_from_string(message_.method_text_);
    // Extra SP between the elements is tolerated (RFC 4475 lwsstart); LWS inside the
    // URI (lwsruri) or a URI in <> (ltgtruri) is not.
    const std::string_view uri_text =
        detail::trim(line.substr(first_space + 1, last_space - first_space - 1));
    if (uri_text.empty() || has_lws(uri_text)) return Fault{400, "Invalid Request-URI"};
    auto uri = Uri::parse(uri_text);
    if (!uri) return Fault{400, "Invalid Request-URI"};
    message_.request_uri_ = std::move(*uri);
    return std::nullopt;
  }

  std::optional<Fault> parse_status_line(std::string_view line, std::size_t first_space) {
    if (first_space == std::string_view::npos) return Fault{400, "Invalid Status-Line"};
    if (!iequals(line.substr(0, first_space), "SIP/2.0")) {
      return Fault{505, "Version Not Supported"};
    }
    const std::string_view rest = line.substr(first_space + 1);
    if (rest.size() < 3 || (rest.size() > 3 && rest[3] != ' ')) {
      return Fault{400, "Invalid Status-Code"};
    }
    const auto code = detail::parse_decimal(rest.substr(0, 3), 699);
    if (!code || *code < 100 || !detail::all_of_class(rest.substr(0, 3), detail::kDigit)) {
      return Fault{400, "Invalid Status-Code"};
    }
    message_.status_ = static_cast<int>(*code);
    message_.reason_ = rest.size() > 4 ? rest.substr(4) : rest.substr(rest.size());
    return std::nullopt;
  }

  std::optional<Fault> interpret_headers() {
    for (const HeaderField& field : message_.headers_) {
      if (auto fault = interpret(field)) return fault;
    }
    return std::nullopt;
  }

  std::optional<Fault> interpret(const HeaderField& field) {
    const std::string_view value = field.value;
    switch (field.id) {
      case HeaderId::Via: {
        const bool ok = detail::for_each_list_item(value, detail::ListItems::RejectEmpty,
                                                   [this](std::string_view item) {
                                                     auto via = parse_via(item);
                                                     if (!via) return false;
                                                     message_.vias_.push_back(std::move(*via));
                                                     return true;
                                                   });
        if (!ok || value.empty()) return Fault{400, "Invalid Via"};
        return std::nullopt;
      }
      case HeaderId::From:
        return interpret_address(value, message_.from_, from_count_, "Multiple From",
                                 "Invalid From");
      case HeaderId::To:
        return interpret_address(value, message_.to_, to_count_, "Multiple To", "Invalid To");
      case HeaderId::CallId:
        if (++call_id_count_ > 1) return Fault{400, "Multiple Call-ID"};
        if (value.empty() || has_lws(value)) return Fault{400, "Invalid Call-ID"};
        message_.call_id_ = value;
        return std::nullopt;
      case HeaderId::CSeq:
        if (++cseq_count_ > 1) return Fault{400, "Multiple CSeq"};
        return interpret_cseq(value);
      case HeaderId::Contact:
        return interpret_address_list(value, message_.contacts_, "Invalid Contact");
      case HeaderId::Route:
        return interpret_address_list(value, message_.routes_, "Invalid Route");
      case HeaderId::RecordRoute:
        return interpret_address_list(value, message_.record_routes_, "Invalid Record-Route");
      case HeaderId::MaxForwards: {
        if (message_.max_forwards_) return Fault{400, "Multiple Max-Forwards"};
        const auto hops = detail::parse_decimal(value, std::numeric_limits<std::uint32_t>::max());
        if (!hops || !detail::all_of_class(value, detail::kDigit)) {
          return Fault{400, "Invalid Max-Forwards"};
        }
        message_.max_forwards_ = static_cast<std::uint32_t>(*hops);
        return std::nullopt;
      }
      case HeaderId::ContentLength: {
        const auto length = detail::parse_decimal(value, std::numeric_limits<std::uint32_t>::max());
        if (!length || !detail::all_of_class(value, detail::kDigit)) {
          return Fault{400, "Invalid Content-Length"};
        }
        if (content_length_ && *content_length_ != *length) {
          return Fault{400, "Conflicting Content-Length"};
        }
        content_length_ = *length;
        return std::nullopt;
      }
      case HeaderId::ContentType:
        if (!message_.content_type_.empty()) return Fault{400, "Multiple Content-Type"};
        if (value.empty()) return Fault{400, "Invalid Content-Type"};
        message_.content_type_ = value;
        return std::nullopt;
      case HeaderId::Expires:
        // delta-seconds; a huge value saturates (RFC 4475 scalar02). A non-numeric value
        // (an RFC 2543 date) is left as "absent" rather than failing the request.
        if (!message_.expires_ && !value.empty() && detail::all_of_class(value, detail::kDigit)) {
          const auto seconds =
              detail::parse_decimal(value, std::numeric_limits<std::uint32_t>::max());
          message_.expires_ = seconds ? static_cast<std::uint32_t>(*seconds)
                                      : std::numeric_limits<std::uint32_t>::max();
        }
        return std::nullopt;
      default:
        return std::nullopt;
    }
  }

  static std::optional<Fault> interpret_address(std::string_view value, NameAddr& target,
                                                int& count, std::string_view multiple,
                                                std::string_view invalid) {
    if (++count > 1) return Fault{400, std::string(multiple)};
    auto address = parse_name_addr(value);
    if (!address || address->wildcard) return Fault{400, std::string(invalid)};
    target = std::move(*address);
    return std::nullopt;
  }

  static std::optional<Fault> interpret_address_list(std::string_view value,
                                                     std::vector<NameAddr>& target,
                                                     std::string_view invalid) {
    const bool ok = detail::for_each_list_item(value, detail::ListItems::RejectEmpty,
                                               [&target](std::string_view item) {
                                                 auto address = parse_name_addr(item);
                                                 if (!address) return false;
                                                 target.push_back(std::move(*address));
                                                 return true;
                                               });
    if (!ok || value.empty()) return Fault{400, std::string(invalid)};
    return std::nullopt;
  }

  std::optional<Fault> interpret_cseq(std::string_view value) {
    // CSeq = 1*DIGIT LWS Method; the number must be below 2**31 (§8.1.1.5).
    const std::size_t digits_end = detail::scan_class(value, 0, detail::kDigit);
    const auto number = detail::parse_decimal(value.substr(0, digits_end),
                                              std::numeric_limits<std::int32_t>::max());
    if (!number || digits_end == value.size() || !detail::is_lws_char(value[digits_end])) {
      return Fault{400, "Invalid CSeq"};
    }
    const std::string_view method = detail::trim(value.substr(digits_end));
    if (!detail::is_token(method)) return Fault{400, "Invalid CSeq"};
    message_.cseq_.number = static_cast<std::uint32_t>(*number);
    message_.cseq_.method_text = method;
    message_.cseq_.method = method_from_string(method);
    return std::nullopt;
  }

  std::optional<Fault> check_required() const {
    // Name every missing header (RFC 4475 insuf lacks three).
    std::string missing;
    const std::pair<bool, std::string_view> mandatory[] = {
        {message_.vias_.empty(), "Via"},  {from_count_ == 0, "From"}, {to_count_ == 0, "To"},
        {call_id_count_ == 0, "Call-ID"}, {cseq_count_ == 0, "CSeq"},
    };
    for (const auto& [absent, name] : mandatory) {
      if (!absent) continue;
      missing += missing.empty() ? "Missing " : ", ";
      missing += name;
    }
    if (!missing.empty()) return Fault{400, std::move(missing)};
    if (is_request_ && message_.cseq_.method_text != message_.method_text_) {
      return Fault{400, "CSeq method does not match the request method"};
    }
    return std::nullopt;
  }

  std::optional<Fault> take_body(std::size_t body_start) {
    std::string& buffer = *message_.bytes_;
    const std::size_t available = buffer.size() - body_start;
    std::size_t length = available;  // no Content-Length: the rest of the datagram (§18.3)
    if (content_length_) {
      if (*content_length_ > available) return Fault{400, "Content-Length exceeds the message"};
      length = static_cast<std::size_t>(*content_length_);
    }
    // Octets past Content-Length are ignored (RFC 4475 dblreq); shrinking keeps every view.
    buffer.resize(body_start + length);
    message_.body_ = std::string_view(buffer.data() + body_start, length);
    return std::nullopt;
  }

  Message message_;
  bool is_request_ = true;
  std::optional<Fault> header_fault_;
  std::optional<std::uint64_t> content_length_;
  int from_count_ = 0;
  int to_count_ = 0;
  int call_id_count_ = 0;
  int cseq_count_ = 0;
};

ParseResult Message::parse(std::string bytes) {
  return MessageParser(std::move(bytes)).run();
}

std::optional<std::string_view> Message::header(HeaderId id) const {
  for (const HeaderField& field : headers_) {
    if (field.id == id) return field.value;
  }
  return std::nullopt;
}

std::optional<std::string_view> Message::header(std::string_view name) const {
  const HeaderId id = header_id_from_name(name);
  if (id != HeaderId::Other) return header(id);
  for (const HeaderField& field : headers_) {
    if (field.id == HeaderId::Other && same_header_name(field.name, name)) return field.value;
  }
  return std::nullopt;
}

std::vector<std::string_view> Message::header_values(HeaderId id) const {
  std::vector<std::string_view> values;
  for (const HeaderField& field : headers_) {
    if (field.id != id) continue;
    if (is_single_value_header(id)) {
      values.push_back(field.value);
      continue;
    }
    detail::for_each_list_item(field.value, detail::ListItems::AllowEmpty,
                               [&values](std::string_view item) {
                                 values.push_back(item);
                                 return true;
                               });
  }
  return values;
}

std::vector<std::string_view> Message::all_headers(std::string_view name) const {
  std::vector<std::string_view> values;
  const HeaderId id = header_id_from_name(name);
  for (const HeaderField& field : headers_) {
    const bool match = id != HeaderId::Other
                           ? field.id == id
                           : field.id == HeaderId::Other && same_header_name(field.name, name);
    if (match) values.push_back(field.value);
  }
  return values;
}

}  // namespace kefu::sip
