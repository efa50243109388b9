#pragma once
// One RTP endpoint (a call leg's media) living on one media thread: its socket, what it plays,
// DTMF both ways, recording and statistics. Internal to kefu_media; the control plane talks to
// it only through MediaEngine. Every member function runs on the owning media thread.
#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include <boost/asio/ip/udp.hpp>

#include "media/audio_clip.hpp"
#include "media/inband_dtmf.hpp"
#include "media/port_pool.hpp"
#include "media/recording_writer.hpp"
#include "media/stereo_recorder.hpp"
#include "media/types.hpp"
#include "rtp/stream.hpp"
#include "rtp/symmetric_latch.hpp"
#include "rtp/telephone_event.hpp"

namespace kefu::media::detail {

inline constexpr std::chrono::milliseconds tick_interval{20};
inline constexpr std::uint32_t samples_per_tick = 160;

// Counters of one media thread, read by the engine from any thread (relaxed atomics).
struct ThreadCounters {
  std::atomic<std::uint64_t> ticks{0};
  std::atomic<std::uint64_t> late_ticks{0};     // ran late, back to back with the previous one
  std::atomic<std::uint64_t> skipped_ticks{0};  // dropped after falling too far behind
  std::atomic<std::uint64_t> tick_cpu_ns{0};    // thread CPU time spent inside ticks
  std::atomic<std::uint64_t> max_tick_ns{0};
  std::atomic<std::uint64_t> thread_cpu_ns{0};  // all CPU time of the thread, as of the last tick
  std::atomic<std::uint64_t> packets_sent{0};
  std::atomic<std::uint64_t> send_errors{0};
  std::atomic<std::uint64_t> packets_received{0};
  std::atomic<std::uint64_t> malformed_packets{0};
  std::atomic<std::uint64_t> wrong_source_packets{0};
  std::atomic<std::uint64_t> unknown_payload_packets{0};
  std::atomic<std::uint64_t> receive_errors{0};
  std::atomic<std::uint64_t> forwarded_packets{0};   // bridged: sent on the other leg
  std::atomic<std::uint64_t> transcoded_packets{0};  // of those, PCMU <-> PCMA
  // Bridged packets not sent on because the other leg plays kefu's own audio (a prompt,
  // music, DTMF) or cannot send (hold, no address yet).
  std::atomic<std::uint64_t> forward_paused_packets{0};
  // Stereo recordings: audio that came later than the playout delay, or too far ahead.
  std::atomic<std::uint64_t> recording_late_samples{0};
  std::atomic<std::uint64_t> recording_early_samples{0};
};

// Per-thread buffers a session borrows for the duration of one callback (one per thread, not
// per call).
struct ThreadScratch {
  // recvmmsg() batch: up to this many datagrams per system call. A short batch also tells the
  // socket is drained, which saves the read that would only return EAGAIN.
  static constexpr std::size_t receive_batch = 16;
  static constexpr std::size_t max_datagram = 2048;  // RTP over UDP here stays under the MTU
  std::array<std::array<std::byte, max_datagram>, receive_batch> receive{};
  std::array<std::byte, 1500> packet{};
  std::array<std::int16_t, 4096> pcm{};
};

// What a session needs from its thread and the engine.
struct SessionEnv {
  const EventCallback& emit;
  RecordingWriter& writer;
  PortPool& ports;
  ThreadCounters& counters;
  std::chrono::milliseconds rtp_timeout;
};

class Session {
 public:
  Session(SessionId id, boost::asio::ip::udp::socket socket, std::uint16_t port,
          rtp::SendStream::Start send_start, const SessionEnv& env);
  ~Session();  // closes the socket and gives the port back; reports nothing
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  SessionId id() const { return id_; }
  boost::asio::ip::udp::socket& socket() { return socket_; }

  // Commands. `tick` is the thread's current tick index.
  void attach(std::uint64_t tick);  // called once when the thread adopts the session
  void apply(const MediaParams& params, std::uint64_t tick);  // start() and update()
  void play(std::vector<std::shared_ptr<const AudioClip>> clips, Loop loop, PlayId id);
  void stop_play();
  void send_dtmf(char digit, std::chrono::milliseconds duration);
  void record_start(std::filesystem::path path);
  void record_stop();
  void finish();  // before destruction: ends the recording (RecordingDone still comes)

  // Called by the thread.
  bool needs_tick() const;
  void on_tick(std::uint64_t tick, ThreadScratch& scratch);
  // Reads every queued datagram; `arrival` is now in 8 kHz units (for jitter).
  void on_readable(std::uint64_t tick, std::uint32_t arrival, ThreadScratch& scratch);
  void housekeeping(std::uint64_t tick);

  bool in_active_list = false;  // maintained by the thread's tick list

  // Bridging (maintained by the thread, which links and unlinks both sides together): while
  // linked, audio and RFC 4733 events received here are sent out on `peer` as they arrive.
  void link_peer(Session* peer);
  Session* peer() const { return peer_; }
  // Stereo recording of a bridged pair: audio received here goes to `recorder`'s channel.
  void set_stereo_tap(StereoRecorder* recorder, StereoChannel channel) {
    stereo_ = recorder;
    stereo_channel_ = channel;
  }
  StereoRecorder* stereo_recorder() const { return stereo_; }

  // Statistics for tests and reports.
  const rtp::ReceiveStats& receive_stats() const { return receive_stats_; }
  const rtp::SendStream& send_stream() const { return send_; }

 private:
  struct PlayState {
    std::vector<std::shared_ptr<const AudioClip>> clips;
    std::size_t clip = 0;
    std::size_t offset = 0;
    Loop loop = Loop::no;
    PlayId id = 0;
    std::size_t total_samples = 0;
    std::optional<std::uint64_t> last_tick;  // the last tick that sent (or skipped) its audio
  };
  struct DigitRequest {
    char digit;
    std::chrono::milliseconds duration;
  };
  struct EventOut {  // the RFC 4733 event being sent
    std::uint8_t event = 0;
    std::uint32_t total = 0;  // duration in samples
    std::uint64_t first_frame = 0;
    std::uint32_t timestamp = 0;
    int end_packets_sent = 0;
  };
  struct Recording {
    RecordingWriter::JobId job = 0;
    std::vector<std::int16_t> block;
    std::optional<std::uint32_t> next_timestamp;
    std::optional<std::uint32_t> ssrc;
  };

  std::uint32_t frame_samples() const;
  bool can_send() const;
  // Copies the next `out.size()` samples of the play sequence, encoded with `codec` (or skips
  // them when `out` is empty and `skip` > 0). Returns true when a non-looping sequence ended.
  bool take_play_audio(Codec codec, std::span<std::byte> out);
  bool skip_play_audio(std::size_t samples);
  void end_play(PlayOutcome outcome);
  void send_frame(std::uint64_t frame, ThreadScratch& scratch);
  bool send_event_packet(std::uint64_t frame, ThreadScratch& scratch);
  bool send_inband_dtmf(std::uint64_t frame, ThreadScratch& scratch, std::span<std::byte> payload);
  void transmit(std::span<const std::byte> packet);
  void handle_packet(std::span<const std::byte> bytes, const boost::asio::ip::udp::endpoint& source,
                     std::uint64_t tick, std::uint32_t arrival, ThreadScratch& scratch);
  void handle_audio(const rtp::PacketView& packet, Codec law, std::uint64_t tick,
                    std::uint32_t arrival, ThreadScratch& scratch);
  void append_recording(std::span<const std::int16_t> pcm, std::uint32_t timestamp,
                        std::uint32_t ssrc);
  void emit(MediaEvent event) const;
  // Bridging: the peer received `packet`; send it on this leg if nothing of ours is going out.
  bool forwarding_blocked() const;
  void forward_audio(const rtp::PacketView& packet, Codec law, std::uint64_t tick,
                     ThreadScratch& scratch);
  void forward_event(const rtp::PacketView& packet, std::uint64_t tick, ThreadScratch& scratch);
  // Our media position (samples since the epoch) for a forwarded packet's timestamp;
  // `rebased` says the forwarded stream (re)starts here (marker bit).
  std::uint64_t forward_position(const rtp::PacketView& packet, std::uint64_t tick, bool& rebased);

  SessionId id_;
  boost::asio::ip::udp::socket socket_;
  std::uint16_t port_;
  bool ipv6_socket_;  // then IPv4 remotes are addressed as v4-mapped IPv6 (dual-stack socket)
  const SessionEnv& env_;

  std::optional<MediaParams> params_;
  rtp::SymmetricLatch<boost::asio::ip::udp::endpoint> latch_;

  // Sending: frame j covers media samples [j*F, (j+1)*F) after the epoch tick.
  rtp::SendStream send_;
  std::uint64_t epoch_tick_ = 0;
  std::uint64_t next_frame_ = 0;
  std::optional<std::uint64_t> last_sent_frame_;
  std::optional<PlayState> play_;
  std::deque<DigitRequest> digits_out_;
  std::optional<EventOut> event_out_;
  std::unique_ptr<InbandDtmfGenerator> inband_tx_;

  // Receiving.
  rtp::ReceiveStats receive_stats_;
  std::optional<std::uint32_t> remote_ssrc_;
  rtp::TelephoneEventReceiver events_in_;
  std::unique_ptr<InbandDtmfDetector> inband_rx_;
  std::uint64_t last_receive_tick_ = 0;
  bool timeout_reported_ = false;
  std::optional<Recording> recording_;

  // Bridging. A forwarded stream keeps the peer's timestamp spacing; `forward_` maps the
  // incoming timestamps onto our media clock and is reset whenever we send something of our
  // own, so the next forwarded packet is re-based (and carries the marker bit).
  struct ForwardMap {
    std::uint32_t ssrc = 0;
    std::uint32_t timestamp = 0;  // the latest incoming timestamp ...
    std::uint64_t position = 0;   // ... and our media position it was sent at
  };
  Session* peer_ = nullptr;
  std::optional<ForwardMap> forward_;
  std::uint64_t sent_until_ = 0;  // media position just after the last audio sent
  StereoRecorder* stereo_ = nullptr;
  StereoChannel stereo_channel_ = StereoChannel::left;
};

}  // namespace kefu::media::detail
