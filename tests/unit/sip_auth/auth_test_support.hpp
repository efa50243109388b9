#pragma once
// Shared helpers for the sip/auth tests: a virtual clock, request text builders, a client
// side digest computation and response inspection.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "sip/auth/digest.hpp"
#include "sip/auth/nonce.hpp"
#include "sip/auth/source_address.hpp"
#include "sip/message.hpp"

namespace kefu::sip::test {

class VirtualClock {
 public:
  // Far from zero so nonce timestamps are ordinary numbers.
  std::chrono::steady_clock::time_point now{std::chrono::hours(24 * 365)};
  SteadyNow function() {
    return [this] { return now; };
  }
  void advance(std::chrono::steady_clock::duration by) { now += by; }
};

inline SourceAddress udp_from(std::string ip, std::uint16_t port = 5060) {
  return SourceAddress{SourceTransport::Udp, std::move(ip), port};
}

inline Message parse_message(std::string text) {
  auto parsed = Message::parse(std::move(text));
  if (!parsed) {
    ADD_FAILURE() << "message does not parse: " << parsed.error().reason;
    auto fallback = Message::parse(
        "SIP/2.0 500 Test Parse Failure\r\nVia: SIP/2.0/UDP x;branch=z9hG4bKx\r\n"
        "From: <sip:x@x>;tag=1\r\nTo: <sip:x@x>\r\nCall-ID: x\r\n"
        "CSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n");
    return std::move(fallback.value());
  }
  return std::move(parsed.value());
}

struct RegisterRequest {
  std::string user = "1001";
  std::string domain = "kefu.example";
  std::string call_id = "reg-call-1@phone";
  std::uint32_t cseq = 1;
  std::vector<std::string> contacts = {"<sip:1001@192.0.2.10:5060;transport=udp>"};
  std::vector<std::string> extra_headers;  // "Name: value"
  std::string method = "REGISTER";

  std::string request_uri() const { return "sip:" + domain; }
  std::string text() const {
    std::string out = method + " " + request_uri() + " SIP/2.0\r\n";
    out += "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-" + call_id.substr(0, 8) + "-" +
           std::to_string(cseq) + "\r\n";
    out += "Max-Forwards: 70\r\n";
    out += "From: <sip:" + user + "@" + domain + ">;tag=from" + user + "\r\n";
    out += "To: <sip:" + user + "@" + domain + ">\r\n";
    out += "Call-ID: " + call_id + "\r\n";
    out += "CSeq: " + std::to_string(cseq) + " " + method + "\r\n";
    for (const auto& contact : contacts) out += "Contact: " + contact + "\r\n";
    for (const auto& header : extra_headers) out += header + "\r\n";
    out += "Content-Length: 0\r\n\r\n";
    return out;
  }
  Message message() const { return parse_message(text()); }
};

struct ClientCredentials {
  std::string username = "1001";
  std::string password = "demo1001";
  std::string realm = "kefu";
  std::string nonce;
  std::string uri = "sip:kefu.example";
  std::string method = "REGISTER";
  DigestAlgorithm algorithm = DigestAlgorithm::Sha256;
  std::string qop = "auth";  // empty: RFC 2069 style
  std::uint32_t nc = 1;
  std::string cnonce = "0a4f113b";

  std::string nc_text() const {
    char buffer[9];
    std::snprintf(buffer, sizeof(buffer), "%08x", nc);
    return buffer;
  }
  std::string header_value() const {
    DigestInput input;
    input.algorithm = algorithm;
    input.username = username;
    input.realm = realm;
    input.password = password;
    input.method = method;
    input.uri = uri;
    input.nonce = nonce;
    input.qop = qop;
    const std::string nc_string = nc_text();
    input.nc = nc_string;
    input.cnonce = cnonce;
    std::string value = "Digest username=" + quote(username) + ", realm=" + quote(realm) +
                        ", nonce=" + quote(nonce) + ", uri=" + quote(uri) +
                        ", response=" + quote(compute_digest_response(input)) +
                        ", algorithm=" + std::string(to_string(algorithm));
    if (!qop.empty()) value += ", qop=" + qop + ", nc=" + nc_string + ", cnonce=" + quote(cnonce);
    return value;
  }
  std::string authorization() const { return "Authorization: " + header_value(); }
};

struct ChallengeSeen {
  std::string realm;
  std::string nonce;
  std::string algorithm;
  bool stale = false;
};

inline std::vector<ChallengeSeen> challenges(const Message& response,
                                             std::string_view header = "WWW-Authenticate") {
  std::vector<ChallengeSeen> found;
  for (const auto& field : response.headers()) {
    if (!iequals(field.name, header)) continue;
    auto parsed = parse_digest_credentials(field.value);  // same auth-param grammar
    EXPECT_TRUE(parsed.has_value()) << field.value;
    if (!parsed) continue;
    found.push_back(
        ChallengeSeen{parsed->realm, parsed->nonce, parsed->algorithm,
                      std::string_view(field.value).find("stale=true") != std::string_view::npos});
  }
  return found;
}

inline std::string read_conformance(const std::string& relative) {
  std::string path = std::string(KEFU_CONFORMANCE_DIR) + "/" + relative;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing conformance file " << path;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace kefu::sip::test
