#pragma once
// Symmetric RTP (RFC 4961) with latching: phones behind NAT send from an address other than
// the one their SDP names, and only accept media sent back to where their packets come from.
// When latching is on, the first packet received decides where we send from then on; packets
// from any other source are dropped until the signaled address changes (re-INVITE).
#include <cstdint>

namespace kefu::rtp {

enum class Latching : std::uint8_t { off, on };

enum class SourceVerdict : std::uint8_t {
  accepted,
  latched,       // accepted, and the send target changed to this source
  wrong_source,  // dropped: latched to another source
};

// Endpoint is any regular type with ==, e.g. boost::asio::ip::udp::endpoint.
template <typename Endpoint>
class SymmetricLatch {
 public:
  // Called when the signaled remote address is set or changed: forgets any earlier latch.
  void reset(const Endpoint& signaled, Latching latching) {
    target_ = signaled;
    latching_ = latching;
    latched_ = false;
  }

  SourceVerdict on_receive(const Endpoint& source) {
    if (latching_ == Latching::off) return SourceVerdict::accepted;
    if (!latched_) {
      latched_ = true;
      const bool changed = !(source == target_);
      target_ = source;
      return changed ? SourceVerdict::latched : SourceVerdict::accepted;
    }
    return source == target_ ? SourceVerdict::accepted : SourceVerdict::wrong_source;
  }

  const Endpoint& send_target() const { return target_; }
  bool latched() const { return latched_; }

 private:
  Endpoint target_{};
  Latching latching_ = Latching::off;
  bool latched_ = false;
};

}  // namespace kefu::rtp
