#pragma once
// The media plane's front door. Owned and called by the control thread; each session lives on
// one of N media threads and every command is posted there. Results that need the media thread
// come back as MediaEvents through the owner's callback.
//
//   MediaEngine media(config, [&](MediaEvent e) {  // runs on a media thread: only post
//     boost::asio::post(control, [&, e = std::move(e)] {
//       if (media.is_live(session_of(e))) calls.on_media_event(e);  // drop old legs' events
//     });
//   });
//   auto leg = media.create_session();          // port for the SDP answer
//   media.start(leg->id, params);               // after offer/answer
//   media.play(leg->id, {greeting}, Loop::no, 1); // PlayDone{1} later
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "common/result.hpp"
#include "media/audio_clip.hpp"
#include "media/types.hpp"

namespace kefu::media {

namespace detail {
class MediaThread;
}
class PortPool;
class RecordingWriter;

// Default thread count: one per core but one (left to the control plane), at least one.
unsigned default_media_threads();

struct MediaConfig {
  unsigned threads = default_media_threads();
  boost::asio::ip::address bind_address = boost::asio::ip::address_v4::any();
  std::uint16_t rtp_port_min = 20000;  // even; each session takes an even port (RTP)
  std::uint16_t rtp_port_max = 29999;  // and keeps the odd one above it free for RTCP
  std::chrono::milliseconds rtp_timeout{std::chrono::seconds(30)};  // 0 = off
};

struct SessionOptions {
  // Place the new session on the same media thread as this one (the other leg of a call), so
  // bridging and mixing them needs no locks. Ignored if that session is gone.
  std::optional<SessionId> same_thread_as;
};

struct CreatedSession {
  SessionId id;
  std::uint16_t local_port = 0;
};

using CommandResult = Result<std::monostate, MediaError>;

struct MediaCounters {
  std::uint64_t sessions = 0;
  std::uint64_t ticks = 0;
  std::uint64_t late_ticks = 0;
  std::uint64_t skipped_ticks = 0;
  std::uint64_t tick_cpu_ns = 0;
  std::uint64_t max_tick_ns = 0;
  std::uint64_t thread_cpu_ns = 0;  // everything the media threads did: ticks, receiving, commands
  std::uint64_t packets_sent = 0;
  std::uint64_t send_errors = 0;
  std::uint64_t packets_received = 0;
  std::uint64_t malformed_packets = 0;
  std::uint64_t wrong_source_packets = 0;
  std::uint64_t unknown_payload_packets = 0;
  std::uint64_t receive_errors = 0;
  std::uint64_t forwarded_packets = 0;       // bridged: received on one leg, sent on the other
  std::uint64_t transcoded_packets = 0;      // of those, PCMU <-> PCMA
  std::uint64_t forward_paused_packets = 0;  // not sent on: the other leg plays our own audio
  // Stereo recordings: audio later than the playout delay or too far ahead (not recorded), and
  // samples the recording writer wrote as silence because its queue was full.
  std::uint64_t recording_late_samples = 0;
  std::uint64_t recording_early_samples = 0;
  std::uint64_t recording_dropped_samples = 0;
  std::uint64_t recording_queued_samples = 0;  // now, waiting for the writer
};

class MediaEngine {
 public:
  // Starts the media threads and the recording writer. `on_event` is called from those threads
  // (see EventCallback). The thread constructing the engine is its control thread.
  MediaEngine(MediaConfig config, EventCallback on_event);
  // Finishes all sessions (open recordings are completed and reported), joins every thread.
  ~MediaEngine();
  MediaEngine(const MediaEngine&) = delete;
  MediaEngine& operator=(const MediaEngine&) = delete;

  // Binds the RTP socket now, so the port can go into the SDP; the session then sends nothing
  // until start().
  Result<CreatedSession, MediaError> create_session(const SessionOptions& options = {});

  // Media parameters from offer/answer. update() is for re-INVITEs: new remote address, codec,
  // ptime or direction (hold = recvonly or inactive: stop sending, keep receiving); the
  // sequence numbers and SSRC continue.
  CommandResult start(SessionId id, const MediaParams& params);
  CommandResult update(SessionId id, const MediaParams& params);

  // Plays clips one after another (replacing what was playing, which reports PlayDone
  // {stopped}). A non-looping sequence reports PlayDone{completed} after its last packet. The
  // sequence advances in real time even while nothing can be sent (not started, on hold).
  CommandResult play(SessionId id, std::vector<std::shared_ptr<const AudioClip>> clips, Loop loop,
                     PlayId play_id);
  CommandResult stop_play(SessionId id);

  // RFC 4733 events if a telephone-event payload type was negotiated, else in-band tones.
  // Digits queue behind each other. duration is clamped to 40 ms .. 8 s.
  CommandResult send_dtmf(SessionId id, char digit, std::chrono::milliseconds duration);

  // Records the audio received from the remote (8 kHz 16-bit mono WAV); a gap in RTP timestamps
  // becomes silence. The file is `path.part` until record_stop() finishes it.
  CommandResult record_start(SessionId id, std::filesystem::path path);
  CommandResult record_stop(SessionId id);

  // Two-party bridge. Both sessions must be on the same media thread (create the second with
  // SessionOptions::same_thread_as), else bad_argument. While bridged, RTP received on one leg
  // is sent on the other as it arrives, under that leg's SSRC, sequence numbers and timestamps
  // (continuous across switches between playing and forwarding; the marker bit starts each
  // forwarded stretch). Same codec: the payload is copied; PCMU <-> PCMA: transcoded. RFC 4733
  // events are forwarded with the other leg's telephone-event payload type, or not at all if
  // that leg did not negotiate one (DtmfReceived is reported on the receiving leg either way).
  // A play() or send_dtmf() on a leg overrides what it forwards while it lasts (announcements,
  // music on hold); forwarding resumes afterwards. Bridging a leg that is already bridged ends
  // its earlier bridge. destroy() of either leg ends the bridge.
  CommandResult bridge(SessionId a, SessionId b);
  CommandResult unbridge(SessionId id);  // ends the bridge `id` is part of (both directions)

  // Stereo recording of a bridged pair (or any two legs of one thread): one 8 kHz 16-bit stereo
  // WAV, left = audio received from `a` (caller), right = audio received from `b` (agent),
  // aligned by arrival in 20 ms slots, silence where a leg sent nothing. `path.part` until
  // record_bridge_stop() (or destroy of either leg) finishes it; RecordingDone{session = a}.
  CommandResult record_bridge_start(SessionId a, SessionId b, std::filesystem::path path);
  CommandResult record_bridge_stop(SessionId id);  // id = either leg

  // Ends the session: stops sending, closes the socket (the port is reused later) and finishes
  // any recording. No event for this session follows except its RecordingDone.
  CommandResult destroy(SessionId id);

  // True while `id` names a session that has not been destroyed. Control thread only: use it to
  // drop events that crossed a destroy().
  bool is_live(SessionId id) const;
  std::optional<std::uint16_t> local_port(SessionId id) const;
  // Which media thread runs the session (diagnostics, tests of same_thread_as).
  std::optional<unsigned> thread_of(SessionId id) const;

  unsigned thread_count() const { return static_cast<unsigned>(threads_.size()); }
  std::size_t session_count() const { return live_sessions_.load(std::memory_order_relaxed); }
  // Any thread; relaxed snapshots of the media threads' counters.
  MediaCounters counters() const;
  // Blocks until queued recording blocks are on disk (tests, shutdown).
  void drain_recordings();

 private:
  struct Slot {
    std::uint32_t generation = 1;
    bool live = false;
    std::uint32_t thread = 0;
    std::uint16_t port = 0;
  };

  const Slot* live_slot(SessionId id) const;
  template <typename Command>
  CommandResult post_command(SessionId id, Command command);
  // Both live and on one thread: that thread's index.
  Result<std::uint32_t, MediaError> shared_thread(SessionId a, SessionId b) const;
  void check_control_thread() const;

  MediaConfig config_;
  EventCallback on_event_;
  std::unique_ptr<PortPool> ports_;
  std::unique_ptr<RecordingWriter> writer_;
  std::vector<std::unique_ptr<detail::MediaThread>> threads_;
  std::vector<std::size_t> sessions_per_thread_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::atomic<std::size_t> live_sessions_{0};  // read by counters() from any thread
  std::mt19937_64 random_;
  std::thread::id control_thread_;
};

}  // namespace kefu::media
