// Cost of the SDP work done once per INVITE / re-INVITE.
#include <benchmark/benchmark.h>

#include <string_view>

#include "sdp/offer_answer.hpp"
#include "sdp/session_description.hpp"

namespace {

constexpr std::string_view kPhoneOffer =
    "v=0\r\n"
    "o=- 3894541235 3894541235 IN IP4 192.0.2.20\r\n"
    "s=phone\r\n"
    "c=IN IP4 192.0.2.20\r\n"
    "t=0 0\r\n"
    "m=audio 40000 RTP/AVP 9 0 8 18 101\r\n"
    "a=rtpmap:9 G722/8000\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:18 G729/8000\r\n"
    "a=fmtp:18 annexb=no\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "a=ptime:20\r\n"
    "a=sendrecv\r\n";

void BM_SdpParse(benchmark::State& state) {
  for (auto _ : state) {
    auto parsed = kefu::sdp::parse(kPhoneOffer);
    benchmark::DoNotOptimize(parsed);
  }
}
BENCHMARK(BM_SdpParse);

void BM_SdpSerialize(benchmark::State& state) {
  auto parsed = kefu::sdp::parse(kPhoneOffer);
  for (auto _ : state) {
    auto text = kefu::sdp::serialize(*parsed);
    benchmark::DoNotOptimize(text);
  }
}
BENCHMARK(BM_SdpSerialize);

void BM_SdpParseAndAnswer(benchmark::State& state) {
  kefu::sdp::LocalMedia local;
  local.port = 30000;
  kefu::sdp::OfferAnswer negotiator(local, 1);
  for (auto _ : state) {
    auto answer = negotiator.answer(*kefu::sdp::parse(kPhoneOffer));
    benchmark::DoNotOptimize(answer);
  }
}
BENCHMARK(BM_SdpParseAndAnswer);

}  // namespace
