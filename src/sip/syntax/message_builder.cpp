// MessageBuilder: outgoing requests and responses as text (RFC 3261 §7, §8.2.6).
#include <charconv>

#include "sip/message.hpp"

namespace kefu::sip {
namespace {

void append_line(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

std::string decimal(std::size_t value) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), value);
  (void)ec;  // 24 characters always hold a size_t
  return std::string(digits, end);
}

}  // namespace

MessageBuilder MessageBuilder::request(std::string_view method, std::string_view request_uri) {
  MessageBuilder builder;
  builder.start_line_.reserve(method.size() + request_uri.size() + 11);
  builder.start_line_.append(method);
  builder.start_line_.push_back(' ');
  builder.start_line_.append(request_uri);
  builder.start_line_.append(" SIP/2.0\r\n");
  return builder;
}

MessageBuilder MessageBuilder::request(Method method, std::string_view request_uri) {
  return request(to_string(method), request_uri);
}

MessageBuilder MessageBuilder::response(int status, std::string_view reason) {
  MessageBuilder builder;
  if (reason.empty()) reason = default_reason(status);
  builder.start_line_.append("SIP/2.0 ");
  builder.start_line_.append(decimal(static_cast<std::size_t>(status < 0 ? 0 : status)));
  builder.start_line_.push_back(' ');
  builder.start_line_.append(reason);
  builder.start_line_.append("\r\n");
  return builder;
}

MessageBuilder MessageBuilder::response_to(const Message& request, int status,
                                           std::string_view reason, std::string_view to_tag) {
  MessageBuilder builder = response(status, reason);
  std::string& out = builder.headers_;
  out.reserve(512);
  const bool copy_record_route = status >= 100 && status < 300;
  // Via values keep their order (and their received/rport additions, if the transport
  // layer put them in the request it hands us).
  for (const HeaderField& field : request.headers()) {
    if (field.id == HeaderId::Via) append_line(out, "Via", field.value);
  }
  if (copy_record_route) {
    for (const HeaderField& field : request.headers()) {
      if (field.id == HeaderId::RecordRoute) append_line(out, "Record-Route", field.value);
    }
  }
  if (auto from = request.header(HeaderId::From)) append_line(out, "From", *from);
  if (auto to = request.header(HeaderId::To)) {
    out.append("To: ");
    out.append(*to);
    if (!to_tag.empty() && !request.to().tag()) {
      out.append(";tag=");
      out.append(to_tag);
    }
    out.append("\r\n");
  }
  if (auto call_id = request.header(HeaderId::CallId)) append_line(out, "Call-ID", *call_id);
  if (auto cseq = request.header(HeaderId::CSeq)) {
    // Rewritten plainly so a folded "0009\r\n INVITE" comes back as "9 INVITE".
    out.append("CSeq: ");
    out.append(decimal(request.cseq().number));
    out.push_back(' ');
    out.append(request.cseq().method_text);
    out.append("\r\n");
  }
  if (status == 100) {
    // §8.2.6.1: a 100 (Trying) echoes the request's Timestamp.
    if (auto timestamp = request.header("Timestamp")) append_line(out, "Timestamp", *timestamp);
  }
  return builder;
}

MessageBuilder& MessageBuilder::header(std::string_view name, std::string_view value) {
  // build() writes Content-Length itself; a second one would make the message invalid.
  if (same_header_name(name, "Content-Length")) return *this;
  append_line(headers_, name, value);
  return *this;
}

MessageBuilder& MessageBuilder::body(std::string_view content_type, std::string_view body) {
  content_type_.assign(content_type);
  body_.assign(body);
  return *this;
}

std::string MessageBuilder::build() const {
  std::string out;
  out.reserve(start_line_.size() + headers_.size() + content_type_.size() + body_.size() + 48);
  out.append(start_line_);
  out.append(headers_);
  if (!content_type_.empty()) append_line(out, "Content-Type", content_type_);
  append_line(out, "Content-Length", decimal(body_.size()));
  out.append("\r\n");
  out.append(body_);
  return out;
}

}  // namespace kefu::sip
