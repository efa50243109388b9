// Fuzzes sdp::parse, checks that serialize(parse(x)) is a fixed point after one round, and
// feeds every description that parses to offer/answer as both an offer and an answer.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sdp/offer_answer.hpp"
#include "sdp/session_description.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = kefu::sdp::parse(text);
  if (!parsed) return 0;

  std::string once = kefu::sdp::serialize(*parsed);
  auto reparsed = kefu::sdp::parse(once);
  if (!reparsed) std::abort();                                // our own output must parse
  if (kefu::sdp::serialize(*reparsed) != once) std::abort();  // and be stable

  kefu::sdp::LocalMedia local;
  local.port = 30000;
  kefu::sdp::OfferAnswer answerer(local, 1);
  if (auto answer = answerer.answer(*parsed)) {
    auto ours = kefu::sdp::parse(answer->sdp);
    if (!ours || ours->media.size() != parsed->media.size()) std::abort();  // RFC 3264 §6
  }
  kefu::sdp::OfferAnswer offerer(local, 2);
  offerer.offer();
  (void)offerer.accept_answer(*parsed);
  return 0;
}
