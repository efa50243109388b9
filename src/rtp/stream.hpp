#pragma once
// Per-stream bookkeeping: receive statistics (RFC 3550 appendix A.1 sequence tracking, A.3 loss,
// A.8 interarrival jitter) and the sending side's sequence number, timestamp and SSRC.
#include <cstdint>
#include <random>

#include "rtp/packet.hpp"

namespace kefu::rtp {

// What the receiver thinks of one packet's sequence number.
enum class SequenceVerdict : std::uint8_t {
  accepted,   // in order, a small gap (loss) or a late/duplicate packet within the window
  probation,  // a new source that has not yet sent enough sequential packets
  rejected,   // a large jump; accepted as a restart if the next packet follows it
};

class ReceiveStats {
 public:
  // `arrival` is the arrival time in timestamp units of the stream's clock (e.g. 8 kHz).
  SequenceVerdict on_packet(std::uint16_t sequence, std::uint32_t rtp_timestamp,
                            std::uint32_t arrival) {
    const SequenceVerdict verdict = on_sequence(sequence);
    if (verdict == SequenceVerdict::accepted) on_timing(rtp_timestamp, arrival);
    return verdict;
  }
  // The two halves, for packets whose timestamp says nothing about arrival timing (RFC 4733
  // events repeat their start timestamp): they count for sequence and loss but not for jitter.
  SequenceVerdict on_sequence(std::uint16_t sequence);
  void on_timing(std::uint32_t rtp_timestamp, std::uint32_t arrival);
  void reset() { *this = ReceiveStats{}; }

  std::uint64_t packets_received() const { return received_; }
  // Packets expected from the extended sequence range minus those received; never negative.
  std::uint64_t packets_lost() const;
  std::uint64_t packets_expected() const;
  // Interarrival jitter in timestamp units (RFC 3550 A.8).
  std::uint32_t jitter() const { return jitter_scaled_ >> 4; }
  std::uint32_t extended_max_sequence() const { return cycles_ + max_sequence_; }
  bool has_source() const { return initialised_; }

 private:
  void init_sequence(std::uint16_t sequence);

  static constexpr int min_sequential = 2;
  static constexpr std::uint16_t max_dropout = 3000;
  static constexpr std::uint16_t max_misorder = 100;

  bool initialised_ = false;
  std::uint16_t max_sequence_ = 0;
  std::uint32_t cycles_ = 0;  // shifted count of sequence number wraps
  std::uint32_t base_sequence_ = 0;
  std::uint32_t bad_sequence_ = 0x10001;  // an impossible sequence number + 1
  int probation_ = min_sequential;
  std::uint64_t received_ = 0;
  bool have_transit_ = false;
  std::int32_t last_transit_ = 0;
  std::uint32_t jitter_scaled_ = 0;  // jitter * 16, as in A.8's integer form
};

// The sending side of one stream: random initial sequence number, timestamp and SSRC (RFC 3550
// 5.1), timestamps derived from a media clock so silent periods still advance them.
class SendStream {
 public:
  struct Start {
    std::uint16_t sequence = 0;
    std::uint32_t timestamp = 0;
    std::uint32_t ssrc = 0;
  };
  static Start random_start(std::mt19937_64& random);

  explicit SendStream(Start start) : start_(start), next_sequence_(start.sequence) {}

  // Header fields for the next packet whose first sample is `media_sample` samples after the
  // stream's start; the sequence number advances by one per call.
  struct Header {
    std::uint16_t sequence;
    std::uint32_t timestamp;
  };
  Header next(std::uint64_t media_sample) {
    const Header header{next_sequence_++,
                        start_.timestamp + static_cast<std::uint32_t>(media_sample)};
    ++packets_sent_;
    return header;
  }
  std::uint32_t timestamp_at(std::uint64_t media_sample) const {
    return start_.timestamp + static_cast<std::uint32_t>(media_sample);
  }
  std::uint32_t ssrc() const { return start_.ssrc; }
  std::uint64_t packets_sent() const { return packets_sent_; }
  void add_octets(std::uint64_t octets) { octets_sent_ += octets; }
  std::uint64_t octets_sent() const { return octets_sent_; }

 private:
  Start start_;
  std::uint16_t next_sequence_;
  std::uint64_t packets_sent_ = 0;
  std::uint64_t octets_sent_ = 0;
};

}  // namespace kefu::rtp
