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

// kHeaders indices grouped by lower-case first letter, kNoHeader-terminated.
constexpr std::uint8_t kNoHeader = 0xff;
constexpr std::size_t kMaxPerLetter = 6;
constexpr auto kHeadersByLetter = [] {
  std::array<std::array<std::uint8_t, kMaxPerLetter>, 26> table{};
  for (auto& letter : table) letter.fill(kNoHeader);
  for (std::size_t i = 0; i < kHeaders.size(); ++i) {
    const char first = kHeaders[i].name[0];
    const auto letter = static_cast<std::size_t>((first >= 'a' ? first - 'a' : first - 'A'));
    std::size_t slot = 0;
    while (table[letter][slot] != kNoHeader) ++slot;  // a full row fails constant evaluation
    table[letter][slot] = static_cast<std::uint8_t>(i);
  }
  return table;
}();

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

struct ReasonPhrase {
  int status;
  std::string_view text;
};
// RFC 3261 §21 and the IANA registry of response codes.
constexpr std::array<ReasonPhrase, 71> kReasonPhrases{{
    {100, "Trying"},
    {180, "Ringing"},
    {181, "Call Is Being Forwarded"},
    {182, "Queued"},
    {183, "Session Progress"},
    {199, "Early Dialog Terminated"},
    {200, "OK"},
    {202, "Accepted"},
    {204, "No Notification"},
    {300, "Multiple Choices"},
    {301, "Moved Permanently"},
    {302, "Moved Temporarily"},
    {305, "Use Proxy"},
    {380, "Alternative Service"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {402, "Payment Required"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {407, "Proxy Authentication Required"},
    {408, "Request Timeout"},
    {410, "Gone"},
    {412, "Conditional Request Failed"},
    {413, "Request Entity Too Large"},
    {414, "Request-URI Too Long"},
    {415, "Unsupported Media Type"},
    {416, "Unsupported URI Scheme"},
    {417, "Unknown Resource-Priority"},
    {420, "Bad Extension"},
    {421, "Extension Required"},
    {422, "Session Interval Too Small"},
    {423, "Interval Too Brief"},
    {428, "Use Identity Header"},
    {429, "Provide Referrer Identity"},
    {430, "Flow Failed"},
    {433, "Anonymity Disallowed"},
    {436, "Bad Identity-Info"},
    {437, "Unsupported Certificate"},
    {438, "Invalid Identity Header"},
    {439, "First Hop Lacks Outbound Support"},
    {440, "Max-Breadth Exceeded"},
    {469, "Bad Info Package"},
    {470, "Consent Needed"},
    {480, "Temporarily Unavailable"},
    {481, "Call/Transaction Does Not Exist"},
    {482, "Loop Detected"},
    {483, "Too Many Hops"},
    {484, "Address Incomplete"},
    {485, "Ambiguous"},
    {486, "Busy Here"},
    {487, "Request Terminated"},
    {488, "Not Acceptable Here"},
    {489, "Bad Event"},
    {491, "Request Pending"},
    {493, "Undecipherable"},
    {494, "Security Agreement Required"},
    {500, "Server Internal Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Server Time-out"},
    {505, "Version Not Supported"},
    {513, "Message Too Large"},
    {580, "Precondition Failure"},
    {600, "Busy Everywhere"},
    {603, "Decline"},
    {604, "Does Not Exist Anywhere"},
    {606, "Not Acceptable"},
    {607, "Unwanted"},
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
  // Hot path (every header line): only the names sharing the first letter are compared.
  if (name.empty()) return HeaderId::Other;
  const char first = detail::to_lower(name[0]);
  if (first < 'a' || first > 'z') return HeaderId::Other;
  for (std::uint8_t index : kHeadersByLetter[static_cast<std::size_t>(first - 'a')]) {
    if (index == kNoHeader) break;
    if (iequals(kHeaders[index].name, name)) return kHeaders[index].id;
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
  for (const ReasonPhrase& entry : kReasonPhrases) {
    if (entry.status == status) return entry.text;
  }
  if (status >= 100 && status < 200) return "Provisional";
  if (status >= 200 && status < 300) return "Success";
  if (status >= 300 && status < 400) return "Redirection";
  if (status >= 400 && status < 500) return "Client Error";
  if (status >= 500 && status < 600) return "Server Error";
  return "Global Failure";
}

}  // namespace kefu::sip
