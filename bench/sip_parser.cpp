// Cost of the SIP message layer on the signalling hot path: every datagram is parsed once.
// The messages follow what softphones (pjsip-based MicroSIP, Zoiper) and SIPp send.
#include <benchmark/benchmark.h>

#include <string>
#include <string_view>

#include "sip/message.hpp"

namespace {

std::string with_body(std::string_view headers, std::string_view body) {
  std::string text(headers);
  text += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  text += body;
  return text;
}

const std::string kInvite = with_body(
    "INVITE sip:1001@192.168.1.10:5060 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.168.1.55:5062;rport;branch=z9hG4bKPj6d3c1a1e8e1f4b6c9f0a7d2e3b4c5d6e\r\n"
    "Max-Forwards: 70\r\n"
    "From: \"Alice Agent\" <sip:2001@pbx.example.com>;tag=fd8a1c2e3b4d4f5a9b6c7d8e9f0a1b2c\r\n"
    "To: <sip:1001@pbx.example.com>\r\n"
    "Contact: \"Alice Agent\" <sip:2001@192.168.1.55:5062;ob>\r\n"
    "Call-ID: 9f1c2d3e4b5a6978a1b2c3d4e5f60718\r\n"
    "CSeq: 26871 INVITE\r\n"
    "Route: <sip:192.168.1.10;lr>\r\n"
    "Allow: PRACK, INVITE, ACK, BYE, CANCEL, UPDATE, INFO, SUBSCRIBE, NOTIFY, REFER, MESSAGE, "
    "OPTIONS\r\n"
    "Supported: replaces, 100rel, timer, norefersub\r\n"
    "Session-Expires: 1800\r\n"
    "Min-SE: 90\r\n"
    "User-Agent: MicroSIP/3.21.3\r\n"
    "Content-Type: application/sdp\r\n",
    "v=0\r\n"
    "o=- 3894541235 3894541236 IN IP4 192.168.1.55\r\n"
    "s=pjmedia\r\n"
    "b=AS:84\r\n"
    "t=0 0\r\n"
    "m=audio 4000 RTP/AVP 8 0 9 101\r\n"
    "c=IN IP4 192.168.1.55\r\n"
    "a=rtcp:4001 IN IP4 192.168.1.55\r\n"
    "a=sendrecv\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:9 G722/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n");

const std::string kRegister = with_body(
    "REGISTER sip:pbx.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.168.1.55:5062;rport;branch=z9hG4bK-524287-1---e4b0ea6f0c1d8a2b\r\n"
    "Max-Forwards: 70\r\n"
    "Contact: <sip:2001@192.168.1.55:5062;rinstance=6ab1f3c7d2e0a9b8;transport=UDP>;"
    "+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-00A0C91E6BF6>\";reg-id=1\r\n"
    "To: <sip:2001@pbx.example.com>\r\n"
    "From: <sip:2001@pbx.example.com>;tag=7c8f1a2b\r\n"
    "Call-ID: NjM0ZTk5YjQ3OGRmNzE2ZjA1ZDc0YmI0NjJlMWE2YjM\r\n"
    "CSeq: 2 REGISTER\r\n"
    "Expires: 300\r\n"
    "Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO, SUBSCRIBE\r\n"
    "Supported: replaces, outbound, path\r\n"
    "User-Agent: Zoiper rv2.10.19.6\r\n"
    "Authorization: Digest username=\"2001\",realm=\"pbx.example.com\","
    "nonce=\"5f2a9c1e7b3d4a6f8e0c2b4d6f8a0c1e\",uri=\"sip:pbx.example.com\","
    "response=\"b7c2a91f3e5d4c6b8a0f2e4d6c8b0a1f\",cnonce=\"9a8b7c6d5e4f3a2b\",nc=00000001,"
    "qop=auth,algorithm=MD5\r\n"
    "Allow-Events: presence, kpml, talk\r\n",
    "");

void parse_loop(benchmark::State& state, const std::string& text) {
  for (auto _ : state) {
    auto message = kefu::sip::Message::parse(text);  // copies, as a transport hands over bytes
    if (!message) state.SkipWithError(message.error().reason.c_str());
    benchmark::DoNotOptimize(message);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
  state.counters["message_bytes"] = static_cast<double>(text.size());
}

void BM_SipParseInviteWithSdp(benchmark::State& state) {
  parse_loop(state, kInvite);
}
BENCHMARK(BM_SipParseInviteWithSdp);

void BM_SipParseRegisterWithAuthorization(benchmark::State& state) {
  parse_loop(state, kRegister);
}
BENCHMARK(BM_SipParseRegisterWithAuthorization);

// The copy of the bytes alone, to read the parse figures against.
void BM_SipCopyInviteBytes(benchmark::State& state) {
  for (auto _ : state) {
    std::string copy = kInvite;
    benchmark::DoNotOptimize(copy);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kInvite.size()));
}
BENCHMARK(BM_SipCopyInviteBytes);

void BM_SipFrameStreamOfInvites(benchmark::State& state) {
  std::string stream;
  for (int i = 0; i < 16; ++i) stream += kInvite;
  for (auto _ : state) {
    kefu::sip::StreamFramer framer;
    // TCP-sized reads that cut messages anywhere.
    for (std::size_t pos = 0; pos < stream.size(); pos += 1400) {
      framer.append(std::string_view(stream).substr(pos, 1400));
      while (true) {
        auto frame = framer.next();
        if (frame.status != kefu::sip::StreamFramer::Status::Message) break;
        benchmark::DoNotOptimize(frame);
      }
    }
  }
  state.SetItemsProcessed(state.iterations() * 16);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(stream.size()));
}
BENCHMARK(BM_SipFrameStreamOfInvites);

void BM_SipBuildResponseTo(benchmark::State& state) {
  auto invite = kefu::sip::Message::parse(kInvite);
  for (auto _ : state) {
    std::string response =
        kefu::sip::MessageBuilder::response_to(*invite, 180, {}, "as83kd9bs").build();
    benchmark::DoNotOptimize(response);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SipBuildResponseTo);

}  // namespace
