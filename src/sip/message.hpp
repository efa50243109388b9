#pragma once
// SIP message model (RFC 3261 §7, §20, §25): one owned buffer per message, views into it.
// The core headers are parsed eagerly at Message::parse time, so a message that parses is
// fully validated; failure is reported as a value carrying the status code to answer with.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace kefu::sip {

enum class Method : std::uint8_t {
  Unknown, Invite, Ack, Bye, Cancel, Options, Register, Info, Update, Prack,
  Subscribe, Notify, Refer, Message, Publish,
};
// Case-sensitive, as RFC 3261 §7.1 requires ("RE%47IST%45R" is not REGISTER).
Method method_from_string(std::string_view text);
std::string_view to_string(Method method);

// Headers kefu interprets; everything else is HeaderId::Other and kept verbatim.
enum class HeaderId : std::uint8_t {
  Other, Via, From, To, CallId, CSeq, Contact, Route, RecordRoute, MaxForwards,
  ContentLength, ContentType, Expires, Authorization, ProxyAuthorization,
  WwwAuthenticate, ProxyAuthenticate, Allow, Supported, Require, ProxyRequire,
  Unsupported, UserAgent, Server, Accept, Event, ReferTo, Subject, Date,
};
// Full or compact (RFC 3261 §7.3.3) name, compared case-insensitively.
HeaderId header_id_from_name(std::string_view name);
std::string_view canonical_name(HeaderId id);  // e.g. "Call-ID"; empty for Other

// Case-insensitive equality over the full length of both strings.
bool iequals(std::string_view a, std::string_view b);
// Whether two header names name the same header: case-insensitive, compact forms included
// (also those of registered headers kept as HeaderId::Other, e.g. "x" = "Session-Expires").
bool same_header_name(std::string_view a, std::string_view b);

struct Param {
  std::string_view name;
  std::string_view value;  // empty when the parameter has no value; a quoted-string keeps
                           // its quotes (+sip.instance="<urn:...>")
  bool has_value = false;
};
std::optional<std::string_view> find_param(const std::vector<Param>& params,
                                           std::string_view name);

enum class Scheme : std::uint8_t { Sip, Sips, Tel, Other };

struct Uri {
  Scheme scheme = Scheme::Other;
  std::string_view scheme_text;
  std::string_view user;      // still %-escaped; see unescape()
  std::string_view password;
  std::string_view host;      // IPv6 references keep their brackets: "[2001:db8::1]"
  std::uint16_t port = 0;     // 0 = not given
  std::vector<Param> params;  // ;transport=tcp;lr
  std::string_view headers;   // after '?', still escaped, never turned into real headers
  std::string_view text;      // the whole URI as written

  // Views into `text`; nullopt when `text` is not a valid URI of its scheme.
  // Non-SIP schemes are accepted as absoluteURI with only scheme_text and text set.
  static std::optional<Uri> parse(std::string_view text);
  std::optional<std::string_view> param(std::string_view name) const {
    return find_param(params, name);
  }
};
std::string unescape(std::string_view escaped);  // %XX decoding; %00 kept as a NUL byte

struct NameAddr {
  std::string_view display_name;  // without quotes, still backslash-escaped
  Uri uri;
  std::vector<Param> params;  // header parameters (tag, expires, q, ...)
  bool wildcard = false;      // "Contact: *"
  std::string_view text;
  std::optional<std::string_view> tag() const { return find_param(params, "tag"); }
};

struct Via {
  std::string_view protocol;   // "SIP/2.0"
  std::string_view transport;  // "UDP", "TCP", ... as written
  std::string_view host;
  std::uint16_t port = 0;      // 0 = not given
  std::vector<Param> params;
  std::string_view text;
  std::optional<std::string_view> branch() const { return find_param(params, "branch"); }
  std::optional<std::string_view> received() const { return find_param(params, "received"); }
  bool has_rport() const { return find_param(params, "rport").has_value(); }
};

struct CSeq {
  std::uint32_t number = 0;
  Method method = Method::Unknown;
  std::string_view method_text;
};

struct HeaderField {
  HeaderId id = HeaderId::Other;
  std::string_view name;   // as written (compact forms kept)
  std::string_view value;  // trimmed; folded lines already joined with spaces
};

struct ParseError {
  int status = 400;        // what a UAS answers a request with: 400, 505, ...
  std::string reason;      // names the fault, e.g. "Bad Request (Invalid CSeq)"
  bool is_request = false; // responses that fail are dropped, never answered
  // Via/From/To/Call-ID/CSeq lines of the failed request, verbatim with CRLFs, when they
  // could be found: enough to build a 400 that the sender can match.
  std::string echo_headers;
};

class Message;
using ParseResult = Result<Message, ParseError>;

class Message {
 public:
  Message(Message&&) noexcept = default;
  Message& operator=(Message&&) noexcept = default;
  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;
  ~Message() = default;

  // Parses one complete message: a UDP datagram, or one framed by StreamFramer.
  // For datagrams, octets past Content-Length are ignored; a missing Content-Length means
  // "the rest of the datagram" (RFC 3261 §18.3). Tolerated beyond the ABNF: bare-LF line
  // ends, extra SP in the Request-Line (RFC 4475 lwsstart/trws), a datagram ending without
  // the empty line after its headers, '#' in a URI user part, non-ASCII unquoted display
  // names, a missing Max-Forwards (RFC 2543 peers), an Expires that is not a number
  // (treated as absent) or too large (saturates).
  static ParseResult parse(std::string bytes);

  bool is_request() const { return status_ == 0; }
  Method method() const { return method_; }  // requests only
  std::string_view method_text() const { return method_text_; }
  const Uri& request_uri() const { return request_uri_; }
  int status() const { return status_; }     // responses only
  std::string_view reason() const { return reason_; }

  const std::vector<HeaderField>& headers() const { return headers_; }
  std::optional<std::string_view> header(HeaderId id) const;  // first occurrence
  std::optional<std::string_view> header(std::string_view name) const;
  // Every value of a header that may be a comma-separated list, in order, split on
  // commas outside quotes and angle brackets.
  // Headers that are never lists (From, CSeq, Authorization, Date, ...) give one value per
  // line, unsplit.
  std::vector<std::string_view> header_values(HeaderId id) const;
  // The value of every occurrence of a header, by name (compact forms match), unsplit.
  std::vector<std::string_view> all_headers(std::string_view name) const;

  const std::vector<Via>& vias() const { return vias_; }
  const NameAddr& from() const { return from_; }
  const NameAddr& to() const { return to_; }
  std::string_view call_id() const { return call_id_; }
  const CSeq& cseq() const { return cseq_; }
  const std::vector<NameAddr>& contacts() const { return contacts_; }
  const std::vector<NameAddr>& routes() const { return routes_; }
  const std::vector<NameAddr>& record_routes() const { return record_routes_; }
  std::optional<std::uint32_t> max_forwards() const { return max_forwards_; }
  std::optional<std::uint32_t> expires() const { return expires_; }
  std::string_view content_type() const { return content_type_; }
  std::string_view body() const { return body_; }
  std::string_view raw() const { return *bytes_; }

 private:
  Message() = default;
  friend class MessageParser;

  std::unique_ptr<std::string> bytes_;  // heap-owned so views survive moves
  Method method_ = Method::Unknown;
  std::string_view method_text_;
  Uri request_uri_;
  int status_ = 0;
  std::string_view reason_;
  std::vector<HeaderField> headers_;
  std::vector<Via> vias_;
  NameAddr from_;
  NameAddr to_;
  std::string_view call_id_;
  CSeq cseq_;
  std::vector<NameAddr> contacts_;
  std::vector<NameAddr> routes_;
  std::vector<NameAddr> record_routes_;
  std::optional<std::uint32_t> max_forwards_;
  std::optional<std::uint32_t> expires_;
  std::string_view content_type_;
  std::string_view body_;
};

// Parses header values on their own (for values held elsewhere, e.g. a stored Contact).
std::optional<NameAddr> parse_name_addr(std::string_view text);
std::optional<std::vector<NameAddr>> parse_name_addr_list(std::string_view text);
std::optional<Via> parse_via(std::string_view text);

// Builds outgoing messages as text. Content-Length is always written.
class MessageBuilder {
 public:
  static MessageBuilder request(std::string_view method, std::string_view request_uri);
  static MessageBuilder request(Method method, std::string_view request_uri);
  static MessageBuilder response(int status, std::string_view reason = {});
  // A response to `request` (RFC 3261 §8.2.6): copies Via, From, To, Call-ID, CSeq and,
  // for 1xx/2xx, Record-Route. Adds ";tag=to_tag" to To when To has no tag and to_tag is set.
  static MessageBuilder response_to(const Message& request, int status,
                                    std::string_view reason = {},
                                    std::string_view to_tag = {});

  MessageBuilder& header(std::string_view name, std::string_view value);
  MessageBuilder& body(std::string_view content_type, std::string_view body);
  std::string build() const;

 private:
  std::string start_line_;
  std::string headers_;
  std::string content_type_;
  std::string body_;
};
std::string_view default_reason(int status);  // "OK", "Bad Request", ...

// Frames messages out of a byte stream (TCP/TLS/WebSocket): keeps its own state across
// reads split anywhere, skips CRLF keep-alives (RFC 5626 §3.5.1), frames by Content-Length.
class StreamFramer {
 public:
  explicit StreamFramer(std::size_t max_message_bytes = 65536);
  enum class Status { NeedMore, Message, Error };
  struct Frame {
    Status status = Status::NeedMore;
    std::string bytes;  // the whole message when status == Message
    std::string error;  // why the stream can't be framed; the connection should close
  };
  void append(std::string_view data);
  Frame next();  // call until NeedMore
  std::size_t buffered() const { return buffer_.size(); }

 private:
  Frame fail(std::string why);
  std::optional<std::size_t> find_header_end();
  bool read_content_length(std::string_view header_section);

  std::string buffer_;
  std::size_t max_message_bytes_;
  bool failed_ = false;
  std::string error_;
  std::size_t scanned_ = 0;       // where the search for the empty line resumes
  std::size_t header_bytes_ = 0;  // start-line + headers + empty line, once found
  std::size_t content_length_ = 0;
};

}  // namespace kefu::sip
