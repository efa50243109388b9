#include "rtp/stream.hpp"

#include <cstdlib>

namespace kefu::rtp {

void ReceiveStats::init_sequence(std::uint16_t sequence) {
  base_sequence_ = sequence;
  max_sequence_ = sequence;
  bad_sequence_ = 0x10001;
  cycles_ = 0;
  received_ = 0;
  have_transit_ = false;
  jitter_scaled_ = 0;
}

SequenceVerdict ReceiveStats::on_sequence(std::uint16_t sequence) {
  if (!initialised_) {
    init_sequence(sequence);
    max_sequence_ = static_cast<std::uint16_t>(sequence - 1);
    probation_ = min_sequential;
    initialised_ = true;
  }
  const std::uint16_t delta = static_cast<std::uint16_t>(sequence - max_sequence_);
  if (probation_ > 0) {
    // A new source must send min_sequential packets in a row before it counts.
    if (sequence == static_cast<std::uint16_t>(max_sequence_ + 1)) {
      --probation_;
      max_sequence_ = sequence;
      if (probation_ == 0) {
        init_sequence(sequence);
        ++received_;
        return SequenceVerdict::accepted;
      }
    } else {
      probation_ = min_sequential - 1;
      max_sequence_ = sequence;
    }
    return SequenceVerdict::probation;
  }
  if (delta < max_dropout) {
    if (sequence < max_sequence_) cycles_ += 0x10000;  // wrapped
    max_sequence_ = sequence;
  } else if (delta <= 0xFFFF - max_misorder) {
    // A large jump: if the next packet follows it, the sender restarted.
    if (sequence == bad_sequence_) {
      init_sequence(sequence);
    } else {
      bad_sequence_ = (static_cast<std::uint32_t>(sequence) + 1) & 0xFFFF;
      return SequenceVerdict::rejected;
    }
  }
  // else: a duplicate or reordered packet; counted, no change to the maximum.
  ++received_;
  return SequenceVerdict::accepted;
}

void ReceiveStats::on_timing(std::uint32_t rtp_timestamp, std::uint32_t arrival) {
  const auto transit = static_cast<std::int32_t>(arrival - rtp_timestamp);
  if (have_transit_) {
    const std::int64_t d = std::llabs(static_cast<std::int64_t>(transit) - last_transit_);
    // J += (|D| - J) / 16, with J kept scaled by 16 (A.8).
    const std::int64_t updated =
        static_cast<std::int64_t>(jitter_scaled_) + d - ((jitter_scaled_ + 8) >> 4);
    jitter_scaled_ = static_cast<std::uint32_t>(updated < 0 ? 0 : updated);
  }
  last_transit_ = transit;
  have_transit_ = true;
}

std::uint64_t ReceiveStats::packets_expected() const {
  if (!initialised_ || probation_ > 0) return 0;
  return static_cast<std::uint64_t>(extended_max_sequence()) - base_sequence_ + 1;
}

std::uint64_t ReceiveStats::packets_lost() const {
  const std::uint64_t expected = packets_expected();
  return expected > received_ ? expected - received_ : 0;
}

SendStream::Start SendStream::random_start(std::mt19937_64& random) {
  const std::uint64_t a = random();
  const std::uint64_t b = random();
  return Start{static_cast<std::uint16_t>(a & 0xFFFF), static_cast<std::uint32_t>(a >> 32),
               static_cast<std::uint32_t>(b)};
}

}  // namespace kefu::rtp
