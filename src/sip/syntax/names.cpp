// Method and header names, reason phrases, parameter lookup (RFC 3261 §7.1, §7.3.3, §21).
#include <array>

#include "sip/message.hpp"
#include "sip/syntax/scan.hpp"

namespace kefu::sip {
namespace {

struct MethodName {
  Method method;
  std::string_view text;
};
constexpr std::array<MethodName, 14> kMethods{{
    {Method::Invite, "INVITE"},
    {Method::Ack, "ACK"},
    {Method::Bye, "BYE"},
    {Method::Cancel, "CANCEL"},
    {Method::Options, "OPTIONS"},
    {Method::Register, "REGISTER"},
    {Method::Info, "INFO"},
    {Method::Update, "UPDATE"},
    {Method::Prack, "PRACK"},
    {Method::Subscribe, "SUBSCRIBE"},
    {Method::Notify, "NOTIFY"},
    {Method::Refer, "REFER"},
    {Method::Message, "MESSAGE"},
    {Method::Publish, "PUBLISH"},
}};

struct HeaderName {
  HeaderId id;
  std::string_view name;
  char compact;  // RFC 3261 §7.3.3 and the IANA registry; 0 when none
};
constexpr std::array<HeaderName, 28> kHeaders{{
    {HeaderId::Via, "Via", 'v'},
    {HeaderId::From, "From", 'f'},
    {HeaderId::To, "To", 't'},
    {HeaderId::CallId, "Call-ID", 'i'},
    {HeaderId::CSeq, "CSeq", 0},
    {HeaderId::Contact, "Contact", 'm'},
    {HeaderId::Route, "Route", 0},
    {HeaderId::RecordRoute, "Record-Route", 0},
    {HeaderId::MaxForwards, "Max-Forwards", 0},
    {HeaderId::ContentLength, "Content-Length", 'l'},
    {HeaderId::ContentType, "Content-Type", 'c'},
    {HeaderId::Expires, "Expires", 0},
    {HeaderId::Authorization, "Authorization", 0},
    {HeaderId::ProxyAuthorization, "Proxy-Authorization", 0},
    {HeaderId::WwwAuthenticate, "WWW-Authenticate", 0},
    {HeaderId::ProxyAuthenticate, "Proxy-Authenticate", 0},
    {HeaderId::Allow, "Allow", 0},
    {HeaderId::Supported, "Supported", 'k'},
    {HeaderId::Require, "Require", 0},
    {HeaderId::ProxyRequire, "Proxy-Require", 0},
    {HeaderId::Unsupported, "Unsupported", 0},
    {HeaderId::UserAgent, "User-Agent", 0},
    {HeaderId::Server, "Server", 0},
    {HeaderId::Accept, "Accept", 0},
    {HeaderId::Event, "Event", 'o'},
    {HeaderId::ReferTo, "Refer-To", 'r'},
    {HeaderId::Subject, "Subject", 's'},
    {HeaderId::Date, "Date", 0},
}};

// Compact forms of headers kefu keeps as HeaderId::Other, so lookups by name still match.
struct CompactAlias {
  char compact;
  std::string_view name;
};
constexpr std::array<CompactAlias, 9> kOtherCompactForms{{
    {'a', "Accept-Contact"},
    {'b', "Referred-By"},
    {'d', "Request-Disposition"},
    {'e', "Content-Encoding"},
    {'j', "Reject-Contact"},
    {'n', "Identity-Info"},
    {'u', "Allow-Events"},
    {'x', "Session-Expires"},
    {'y', "Identity"},
}};

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (detail::to_lower(a[i]) != detail::to_lower(b[i])) return false;
  }
  return true;
}

Method method_from_string(std::string_view text) {
  for (const MethodName& entry : kMethods) {
    if (entry.text == text) return entry.method;
  }
  return Method::Unknown;
}

std::string_view to_string(Method method) {
  for (const MethodName& entry : kMethods) {
    if (entry.method == method) return entry.text;
  }
  return {};
}

HeaderId header_id_from_name(std::string_view name) {
  if (name.size() == 1) {
    const char compact = detail::to_lower(name[0]);
    for (const HeaderName& entry : kHeaders) {
      if (entry.compact == compact) return entry.id;
    }
    return HeaderId::Other;
  }
  for (const HeaderName& entry : kHeaders) {
    if (entry.name.size() == name.size() && iequals(entry.name, name)) return entry.id;
  }
  return HeaderId::Other;
}

std::string_view canonical_name(HeaderId id) {
  for (const HeaderName& entry : kHeaders) {
    if (entry.id == id) return entry.name;
  }
  return {};
}

bool same_header_name(std::string_view a, std::string_view b) {
  if (iequals(a, b)) return true;
  const HeaderId id_a = header_id_from_name(a);
  if (id_a != HeaderId::Other) return id_a == header_id_from_name(b);
  // Both unknown to HeaderId: still match compact forms of registered headers.
  auto expand = [](std::string_view name) -> std::string_view {
    if (name.size() != 1) return name;
    for (const CompactAlias& alias : kOtherCompactForms) {
      if (alias.compact == detail::to_lower(name[0])) return alias.name;
    }
    return name;
  };
  return iequals(expand(a), expand(b));
}

std::optional<std::string_view> find_param(const std::vector<Param>& params,
                                           std::string_view name) {
  for (const Param& param : params) {
    if (iequals(param.name, name)) return param.value;
  }
  return std::nullopt;
}

std::string_view default_reason(int status) {
  switch (status) {
    case 100: return "Trying";
    case 180: return "Ringing";
    case 181: return "Call Is Being Forwarded";
    case 182: return "Queued";
    case 183: return "Session Progress";
    case 199: return "Early Dialog Terminated";
    case 200: return "OK";
    case 202: return "Accepted";
    case 204: return "No Notification";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Moved Temporarily";
    case 305: return "Use Proxy";
    case 380: return "Alternative Service";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 410: return "Gone";
    case 412: return "Conditional Request Failed";
    case 413: return "Request Entity Too Large";
    case 414: return "Request-URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Unsupported URI Scheme";
    case 417: return "Unknown Resource-Priority";
    case 420: return "Bad Extension";
    case 421: return "Extension Required";
    case 422: return "Session Interval Too Small";
    case 423: return "Interval Too Brief";
    case 428: return "Use Identity Header";
    case 429: return "Provide Referrer Identity";
    case 430: return "Flow Failed";
    case 433: return "Anonymity Disallowed";
    case 436: return "Bad Identity-Info";
    case 437: return "Unsupported Certificate";
    case 438: return "Invalid Identity Header";
    case 439: return "First Hop Lacks Outbound Support";
    case 440: return "Max-Breadth Exceeded";
    case 469: return "Bad Info Package";
    case 470: return "Consent Needed";
    case 480: return "Temporarily Unavailable";
    case 481: return "Call/Transaction Does Not Exist";
    case 482: return "Loop Detected";
    case 483: return "Too Many Hops";
    case 484: return "Address Incomplete";
    case 485: return "Ambiguous";
    case 486: return "Busy Here";
    case 487: return "Request Terminated";
    case 488: return "Not Acceptable Here";
    case 489: return "Bad Event";
    case 491: return "Request Pending";
    case 493: return "Undecipherable";
    case 494: return "Security Agreement Required";
    case 500: return "Server Internal Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Server Time-out";
    case 505: return "Version Not Supported";
    case 513: return "Message Too Large";
    case 580: return "Precondition Failure";
    case 600: return "Busy Everywhere";
    case 603: return "Decline";
    case 604: return "Does Not Exist Anywhere";
    case 606: return "Not Acceptable";
    case 607: return "Unwanted";
    default: break;
  }
  if (status >= 100 && status < 200) return "Provisional";
  if (status >= 200 && status < 300) return "Success";
  if (status >= 300 && status < 400) return "Redirection";
  if (status >= 400 && status < 500) return "Client Error";
  if (status >= 500 && status < 600) return "Server Error";
  return "Global Failure";
}

}  // namespace kefu::sip
