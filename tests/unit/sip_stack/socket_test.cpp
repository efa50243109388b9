// The stack over real UDP and TCP sockets on 127.0.0.1 (ephemeral ports), driven by an
// io_context with deadlines: requests in, responses out, TCP split and pipelined writes,
// framing errors, busy ports, and a whole call over each transport.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "sip/stack/asio_timer.hpp"
#include "test_support.hpp"

namespace kefu::sip::testing {
namespace {

using namespace std::chrono_literals;
using boost::asio::ip::tcp;
using boost::asio::ip::udp;

const auto kLoopback = boost::asio::ip::make_address("127.0.0.1");

template <typename Predicate>
bool run_until(boost::asio::io_context& io, Predicate done, Duration limit = 5s) {
  const TimePoint deadline = SteadyClock::now() + limit;
  while (!done() && SteadyClock::now() < deadline) io.run_one_for(10ms);
  return done();
}

class SocketTest : public ::testing::Test {
 protected:
  Endpoint listen(UserAgent& agent) {
    auto bound =
        agent.listen(io, ListenSpec{Endpoint{kLoopback, 0}, ListenTransports::UdpAndTcp, ""});
    EXPECT_TRUE(bound.has_value()) << (bound ? "" : bound.error());
    return bound ? *bound : Endpoint{};
  }
  static std::string options(std::string_view via, std::string_view branch) {
    RequestText request;
    request.method = "OPTIONS";
    request.via = std::string(via) + ";branch=" + std::string(branch);
    request.contact.clear();
    return request.build();
  }

  boost::asio::io_context io;
  AsioTimerService timers{io};
  UserAgent ua{timers, test_config(7)};
};

TEST_F(SocketTest, UdpRequestInResponseOutWithRport) {
  const Endpoint server = listen(ua);
  udp::socket client(io, udp::endpoint(kLoopback, 0));
  const auto client_port = client.local_endpoint().port();
  const std::string request =
      options("SIP/2.0/UDP 127.0.0.1:" + std::to_string(client_port) + ";rport", "z9hG4bKudp1");
  client.send_to(boost::asio::buffer(request), udp::endpoint(server.address, server.port));

  std::array<char, 4096> buffer{};
  std::size_t received = 0;
  udp::endpoint sender;
  client.async_receive_from(boost::asio::buffer(buffer), sender,
                            [&](const boost::system::error_code& error, std::size_t size) {
                              if (!error) received = size;
                            });
  ASSERT_TRUE(run_until(io, [&] { return received > 0; }));
  auto response = Message::parse(std::string(buffer.data(), received));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status(), 200);
  EXPECT_EQ(find_param(response->vias().front().params, "rport"),
            std::optional<std::string_view>(std::to_string(client_port)));
  EXPECT_EQ(ua.counters().messages(Direction::Received, TransportKind::Udp, MessageClass::Request,
                                   Method::Options),
            1u);
}

TEST_F(SocketTest, TcpSplitAndPipelinedRequestsAllGetAnswers) {
  const Endpoint server = listen(ua);
  tcp::socket client(io);
  client.connect(tcp::endpoint(server.address, server.port));
  const std::string via = "SIP/2.0/TCP 127.0.0.1:" + std::to_string(client.local_endpoint().port());
  const std::string first = options(via, "z9hG4bKtcp1");
  // One message in two writes, the second together with two more (pipelined).
  boost::asio::write(client, boost::asio::buffer(first.substr(0, 25)));
  io.run_for(20ms);  // let the server read the fragment on its own
  const std::string rest =
      first.substr(25) + options(via, "z9hG4bKtcp2") + options(via, "z9hG4bKtcp3");
  boost::asio::write(client, boost::asio::buffer(rest));

  StreamFramer framer;
  std::vector<Message> responses;
  std::array<char, 4096> buffer{};
  std::function<void()> read_more = [&] {
    client.async_read_some(
        boost::asio::buffer(buffer), [&](const boost::system::error_code& error, std::size_t size) {
          if (error) return;
          framer.append(std::string_view(buffer.data(), size));
          for (auto frame = framer.next(); frame.status == StreamFramer::Status::Message;
               frame = framer.next()) {
            auto parsed = Message::parse(std::move(frame.bytes));
            if (parsed) responses.push_back(std::move(parsed).value());
          }
          read_more();
        });
  };
  read_more();
  ASSERT_TRUE(run_until(io, [&] { return responses.size() >= 3; }));
  for (const Message& response : responses) EXPECT_EQ(response.status(), 200);
  EXPECT_EQ(responses[0].vias().front().branch(), std::optional<std::string_view>("z9hG4bKtcp1"));
  EXPECT_EQ(responses[2].vias().front().branch(), std::optional<std::string_view>("z9hG4bKtcp3"));
}

TEST_F(SocketTest, TcpFramingErrorClosesTheConnection) {
  const Endpoint server = listen(ua);
  tcp::socket client(io);
  client.connect(tcp::endpoint(server.address, server.port));
  const std::string broken =
      "OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bKbad\r\n"
      "Content-Length: -999\r\n\r\n";
  boost::asio::write(client, boost::asio::buffer(broken));
  bool closed = false;
  std::array<char, 1024> buffer{};
  std::function<void()> read_more = [&] {
    client.async_read_some(boost::asio::buffer(buffer),
                           [&](const boost::system::error_code& error, std::size_t) {
                             if (error) {
                               closed = true;
                               return;
                             }
                             read_more();
                           });
  };
  read_more();
  EXPECT_TRUE(run_until(io, [&] { return closed; }));
  EXPECT_GE(ua.counters().malformed(TransportKind::Tcp), 1u);
}

TEST_F(SocketTest, BusyPortIsAnErrorNamingTheAddress) {
  const Endpoint server = listen(ua);
  UserAgent second(timers, test_config(8));
  auto bound = second.listen(io, ListenSpec{server, ListenTransports::UdpAndTcp, ""});
  ASSERT_FALSE(bound.has_value());
  EXPECT_NE(bound.error().find(server.to_string()), std::string::npos) << bound.error();
}

TEST_F(SocketTest, IdleTcpConnectionsAreClosed) {
  UserAgentConfig config = test_config(10);
  config.tcp.idle_timeout = 200ms;
  UserAgent short_idle(timers, config);
  const Endpoint server = listen(short_idle);
  tcp::socket client(io);
  client.connect(tcp::endpoint(server.address, server.port));
  bool closed = false;
  std::array<char, 64> buffer{};
  client.async_read_some(boost::asio::buffer(buffer),
                         [&](const boost::system::error_code& error, std::size_t) {
                           closed = static_cast<bool>(error);
                         });
  EXPECT_TRUE(run_until(io, [&] { return closed; }));
}

TEST_F(SocketTest, SeveralListenAddressesAnswerEachOnItsOwn) {
  const Endpoint first = listen(ua);
  auto second = ua.listen(io, ListenSpec{Endpoint{boost::asio::ip::make_address("127.0.0.2"), 0},
                                         ListenTransports::Udp, ""});
  ASSERT_TRUE(second.has_value()) << second.error();
  for (const Endpoint& server : {first, *second}) {
    udp::socket client(io, udp::endpoint(server.address, 0));
    const std::string request =
        options("SIP/2.0/UDP " + client.local_endpoint().address().to_string() + ":" +
                    std::to_string(client.local_endpoint().port()),
                "z9hG4bKmulti" + std::to_string(server.port));
    client.send_to(boost::asio::buffer(request), udp::endpoint(server.address, server.port));
    std::array<char, 4096> buffer{};
    udp::endpoint sender;
    std::size_t received = 0;
    client.async_receive_from(boost::asio::buffer(buffer), sender,
                              [&](const boost::system::error_code& error, std::size_t size) {
                                if (!error) received = size;
                              });
    ASSERT_TRUE(run_until(io, [&] { return received > 0; })) << server.to_string();
    EXPECT_EQ(sender.address(), server.address);  // answered from the address asked
  }
}

TEST_F(SocketTest, TcpConnectFailureEndsTheCallWithTransportError) {
  listen(ua);
  std::uint16_t closed_port = 0;
  {
    tcp::acceptor probe(io, tcp::endpoint(kLoopback, 0));
    closed_port = probe.local_endpoint().port();
  }
  std::vector<SessionEvent> events;
  OutgoingCall call;
  call.target = "sip:agent@127.0.0.1:" + std::to_string(closed_port) + ";transport=tcp";
  call.from = "sip:kefu@127.0.0.1";
  call.sdp = std::string(kOfferSdp);
  auto session =
      ua.call(call, [&](InviteSession, const SessionEvent& event) { events.push_back(event); });
  ASSERT_TRUE(session.has_value()) << session.error();
  ASSERT_TRUE(run_until(io, [&] { return !events.empty(); }));
  const auto* end = std::get_if<session_event::Terminated>(&events.back());
  ASSERT_NE(end, nullptr);
  EXPECT_EQ(end->reason, EndReason::TransportError);
  EXPECT_EQ(end->status, 503);
  EXPECT_EQ(ua.session_count(), 0u);
}

class SocketCallTest : public SocketTest, public ::testing::WithParamInterface<TransportKind> {};

TEST_P(SocketCallTest, CallAnsweredAndHungUp) {
  UserAgent callee(timers, test_config(9));
  const Endpoint callee_address = listen(callee);
  listen(ua);
  std::vector<InviteSession> incoming;
  std::vector<SessionEvent> callee_events;
  callee.set_incoming_call_handler([&](InviteSession call) {
    incoming.push_back(call);
    call.set_event_handler(
        [&](InviteSession, const SessionEvent& event) { callee_events.push_back(event); });
    EXPECT_EQ(call.answer(std::string(kAnswerSdp)), SessionStatus::Ok);
  });
  std::vector<SessionEvent> caller_events;
  OutgoingCall call;
  call.target = "sip:agent@" + callee_address.to_string();
  if (GetParam() == TransportKind::Tcp) call.target += ";transport=tcp";
  call.from = "sip:kefu@127.0.0.1";
  call.sdp = std::string(kOfferSdp);
  auto session = ua.call(
      call, [&](InviteSession, const SessionEvent& event) { caller_events.push_back(event); });
  ASSERT_TRUE(session.has_value()) << session.error();
  ASSERT_TRUE(run_until(io, [&] {
    return !incoming.empty() && incoming.front().state() == SessionState::Confirmed;
  }));
  ASSERT_FALSE(caller_events.empty());
  EXPECT_TRUE(std::holds_alternative<session_event::Answered>(caller_events.back()));
  ASSERT_EQ(session->hangup(), SessionStatus::Ok);
  ASSERT_TRUE(
      run_until(io, [&] { return callee.session_count() == 0 && ua.session_count() == 0; }));
  ASSERT_FALSE(callee_events.empty());
  const auto* end = std::get_if<session_event::Terminated>(&callee_events.back());
  ASSERT_NE(end, nullptr);
  EXPECT_EQ(end->reason, EndReason::RemoteBye);
  EXPECT_GE(
      ua.counters().messages(Direction::Sent, GetParam(), MessageClass::Request, Method::Invite),
      1u);
}

INSTANTIATE_TEST_SUITE_P(Transports, SocketCallTest,
                         ::testing::Values(TransportKind::Udp, TransportKind::Tcp),
                         [](const ::testing::TestParamInfo<TransportKind>& param_info) {
                           return std::string(to_string(param_info.param));
                         });

}  // namespace
}  // namespace kefu::sip::testing
