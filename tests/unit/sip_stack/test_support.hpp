#pragma once
// Helpers for the SIP stack tests: a raw SIP peer on the loopback network (hand-written
// messages in, everything received recorded), request text templates, and a UserAgent node
// that records its sessions' events.
#include <gtest/gtest.h>

#include <deque>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "sip/stack/loopback_transport.hpp"
#include "sip/stack/user_agent.hpp"

namespace kefu::sip::testing {

inline Endpoint endpoint(std::string_view text) {
  return Endpoint::parse(text).value();
}

inline constexpr std::string_view kOfferSdp =
    "v=0\r\no=caller 1 1 IN IP4 10.0.0.9\r\ns=-\r\nc=IN IP4 10.0.0.9\r\nt=0 0\r\n"
    "m=audio 4000 RTP/AVP 0 101\r\na=sendrecv\r\n";
inline constexpr std::string_view kAnswerSdp =
    "v=0\r\no=kefu 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
    "m=audio 5000 RTP/AVP 0 101\r\na=sendrecv\r\n";
inline constexpr std::string_view kHoldSdp =
    "v=0\r\no=caller 1 2 IN IP4 10.0.0.9\r\ns=-\r\nc=IN IP4 10.0.0.9\r\nt=0 0\r\n"
    "m=audio 4000 RTP/AVP 0 101\r\na=sendonly\r\n";

inline std::string conformance_file(std::string_view relative) {
  const std::string path = std::string(KEFU_CONFORMANCE_DIR) + "/" + std::string(relative);
  std::ifstream file(path, std::ios::binary);
  EXPECT_TRUE(file.good()) << "cannot read " << path;
  std::ostringstream bytes;
  bytes << file.rdbuf();
  return bytes.str();
}

// A hand-written request; fields are the header values.
struct RequestText {
  std::string method = "INVITE";
  std::string uri = "sip:ivr@10.0.0.1:5060";
  std::string via = "SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bKraw1";
  std::string from = "<sip:caller@10.0.0.9>;tag=from1";
  std::string to = "<sip:ivr@10.0.0.1>";
  std::string call_id = "raw-call-1";
  std::uint32_t cseq = 1;
  std::string cseq_method;  // empty = method
  std::string contact = "<sip:caller@10.0.0.9:5060>";
  std::vector<std::string> extra;  // whole lines without CRLF
  std::string content_type = "application/sdp";
  std::string body;

  std::string build() const {
    std::string text = method + " " + uri + " SIP/2.0\r\n";
    text += "Via: " + via + "\r\n";
    text += "Max-Forwards: 70\r\n";
    text += "From: " + from + "\r\n";
    text += "To: " + to + "\r\n";
    text += "Call-ID: " + call_id + "\r\n";
    text += "CSeq: " + std::to_string(cseq) + " " + (cseq_method.empty() ? method : cseq_method) +
            "\r\n";
    if (!contact.empty()) text += "Contact: " + contact + "\r\n";
    for (const std::string& line : extra) text += line + "\r\n";
    if (!body.empty()) text += "Content-Type: " + content_type + "\r\n";
    text += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    return text;
  }
};

// The response a raw peer writes to a request it received (To tag added when missing).
inline std::string response_text(const Message& request, int status, std::string_view to_tag,
                                 std::string_view body = {}) {
  MessageBuilder builder = MessageBuilder::response_to(request, status, {}, to_tag);
  if (status >= 200 && status < 300 && request.method() == Method::Invite) {
    builder.header("Contact", "<sip:callee@10.0.0.9:5060>");
  }
  if (!body.empty()) builder.body("application/sdp", body);
  return builder.build();
}

class RawPeer final : public TransportSink {
 public:
  RawPeer(LoopbackNetwork& network, std::string_view address,
          TransportKind kind = TransportKind::Udp)
      : kind_(kind), local_(endpoint(address)), transport_(network.attach(kind, local_, *this)) {}

  void send(std::string_view to, std::string bytes) {
    Destination destination;
    destination.transport = kind_;
    destination.address = endpoint(to);
    (void)transport_->send(destination, std::move(bytes), SendToken::None);
  }
  const Endpoint& local() const { return local_; }

  void on_received(std::string bytes, const Inbound& /*from*/) override {
    raw.push_back(bytes);
    auto parsed = Message::parse(std::move(bytes));
    if (parsed) messages.push_back(std::move(parsed).value());
  }
  void on_stream_error(const Inbound& /*from*/, std::string_view /*reason*/) override {}
  void on_send_failed(SendToken /*token*/, std::string_view /*reason*/) override {}

  std::size_t count_responses(int status, Method cseq_method) const {
    std::size_t count = 0;
    for (const Message& message : messages) {
      if (!message.is_request() && message.status() == status &&
          message.cseq().method == cseq_method) {
        ++count;
      }
    }
    return count;
  }
  std::size_t count_requests(Method method) const {
    std::size_t count = 0;
    for (const Message& message : messages) {
      if (message.is_request() && message.method() == method) ++count;
    }
    return count;
  }
  const Message* last_request(Method method) const {
    for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
      if (it->is_request() && it->method() == method) return &*it;
    }
    return nullptr;
  }
  const Message* last_response(Method cseq_method) const {
    for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
      if (!it->is_request() && it->cseq().method == cseq_method) return &*it;
    }
    return nullptr;
  }
  const Message* last_response_with(int status, Method cseq_method) const {
    for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
      if (!it->is_request() && it->status() == status && it->cseq().method == cseq_method) {
        return &*it;
      }
    }
    return nullptr;
  }

  std::deque<Message> messages;  // deque: pointers to earlier messages stay valid
  std::vector<std::string> raw;

 private:
  TransportKind kind_;
  Endpoint local_;
  std::unique_ptr<Transport> transport_;
};

inline UserAgentConfig test_config(std::uint64_t seed) {
  UserAgentConfig config;
  config.product = "kefu-test";
  config.random_seed = seed;
  return config;
}

// A UserAgent on the loopback network. Incoming calls are recorded (and handed to
// `on_incoming` when set); every session's events are recorded by session id.
class Node {
 public:
  Node(VirtualClock& clock, LoopbackNetwork& network, std::string_view local, std::uint64_t seed,
       TransportKind kind = TransportKind::Udp, UserAgentConfig config = {})
      : ua(clock, with_seed(std::move(config), seed)), address(endpoint(local)) {
    ua.add_transport(network.attach(kind, this->address, ua.transport_sink()));
    ua.set_incoming_call_handler([this](InviteSession session) {
      incoming.push_back(session);
      session.set_event_handler(recorder());
      if (on_incoming) on_incoming(session);
    });
  }

  InviteSession::EventHandler recorder() {
    return [this](InviteSession session, const SessionEvent& event) {
      events[session.id()].push_back(event);
      if (std::holds_alternative<session_event::OfferReceived>(event)) {
        if (!auto_answer_offer.empty()) {
          EXPECT_EQ(session.answer_offer(auto_answer_offer), SessionStatus::Ok);
        }
      }
      if (on_event) on_event(session, event);
    };
  }

  InviteSession call(std::string_view target, std::string_view sdp = kOfferSdp,
                     std::optional<Destination> destination = std::nullopt) {
    OutgoingCall call;
    call.target = std::string(target);
    call.from = "sip:kefu@" + address.to_string();
    call.sdp = std::string(sdp);
    call.destination = destination;
    auto session = ua.call(call, recorder());
    EXPECT_TRUE(session.has_value()) << (session ? "" : session.error());
    return session ? *session : InviteSession{};
  }

  const std::vector<SessionEvent>& of(const InviteSession& session) { return events[session.id()]; }
  template <typename T>
  std::size_t count(const InviteSession& session) {
    std::size_t n = 0;
    for (const SessionEvent& event : of(session)) n += std::holds_alternative<T>(event) ? 1 : 0;
    return n;
  }
  template <typename T>
  const T* last(const InviteSession& session) {
    const auto& list = of(session);
    for (auto it = list.rbegin(); it != list.rend(); ++it) {
      if (auto* event = std::get_if<T>(&*it)) return event;
    }
    return nullptr;
  }

  UserAgent ua;
  Endpoint address;
  std::vector<InviteSession> incoming;
  std::map<std::uint64_t, std::vector<SessionEvent>> events;
  std::string auto_answer_offer;  // answer every OfferReceived with this when set
  std::function<void(InviteSession)> on_incoming;
  std::function<void(InviteSession, const SessionEvent&)> on_event;

 private:
  static UserAgentConfig with_seed(UserAgentConfig config, std::uint64_t seed) {
    config.random_seed = seed;
    if (config.product == "kefu") config.product = "kefu-test";
    return config;
  }
};

}  // namespace kefu::sip::testing
