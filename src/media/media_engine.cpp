#include "media/media_engine.hpp"

#include <algorithm>
#include <cassert>

#include <boost/asio/ip/udp.hpp>

#include "media/media_thread.hpp"
#include "media/port_pool.hpp"
#include "media/recording_writer.hpp"
#include "rtp/telephone_event.hpp"

namespace kefu::media {

using detail::MediaThread;
using detail::Session;

std::string_view to_string(Codec codec) {
  return codec == Codec::pcmu ? "PCMU" : "PCMA";
}

std::string_view to_string(MediaError error) {
  switch (error) {
    case MediaError::no_free_port:
      return "no free RTP port";
    case MediaError::unknown_session:
      return "unknown media session";
    case MediaError::bad_argument:
      return "bad argument";
  }
  return "unknown";
}

namespace {

// The recording writer's queue bound (samples). Every recording hands over a one-second block
// at about the same moment when many calls start together, so the bound grows with the number
// of sessions the port range allows: two seconds of one channel per session (a stereo pair has
// two sessions), and never less than ten minutes of audio. It is reached only when the disk
// stalls; 5,000 sessions give 160 MB at most.
std::size_t recording_queue_limit(const MediaConfig& config) {
  const std::size_t sessions =
      config.rtp_port_max >= config.rtp_port_min
          ? (static_cast<std::size_t>(config.rtp_port_max) - config.rtp_port_min) / 2 + 1
          : 0;
  const std::size_t per_session = std::size_t{2} * media_sample_rate;
  return std::max<std::size_t>(std::size_t{media_sample_rate} * 600, sessions * per_session);
}

}  // namespace

unsigned default_media_threads() {
  const unsigned cores = std::thread::hardware_concurrency();
  return cores > 1 ? cores - 1 : 1;
}

MediaEngine::MediaEngine(MediaConfig config, EventCallback on_event)
    : config_(std::move(config)),
      on_event_(std::move(on_event)),
      ports_(std::make_unique<PortPool>(config_.rtp_port_min, config_.rtp_port_max)),
      writer_(std::make_unique<RecordingWriter>(on_event_, recording_queue_limit(config_))),
      random_(std::random_device{}()),
      control_thread_(std::this_thread::get_id()) {
  const unsigned count = std::max(1U, config_.threads);
  for (unsigned i = 0; i < count; ++i) {
    threads_.push_back(
        std::make_unique<MediaThread>(on_event_, *writer_, *ports_, config_.rtp_timeout));
    threads_.back()->start();
  }
  sessions_per_thread_.assign(count, 0);
}

MediaEngine::~MediaEngine() {
  for (auto& thread : threads_) thread->stop();
  threads_.clear();
  writer_.reset();  // writes what is queued and reports the recordings finished above
}

void MediaEngine::check_control_thread() const {
  // Every call but counters() belongs to the control thread (STYLE: one owner per object).
  assert(std::this_thread::get_id() == control_thread_);
}

const MediaEngine::Slot* MediaEngine::live_slot(SessionId id) const {
  if (id.index >= slots_.size()) return nullptr;
  const Slot& slot = slots_[id.index];
  return slot.live && slot.generation == id.generation ? &slot : nullptr;
}

bool MediaEngine::is_live(SessionId id) const {
  check_control_thread();
  return live_slot(id) != nullptr;
}

std::optional<std::uint16_t> MediaEngine::local_port(SessionId id) const {
  check_control_thread();
  const Slot* slot = live_slot(id);
  if (slot == nullptr) return std::nullopt;
  return slot->port;
}

std::optional<unsigned> MediaEngine::thread_of(SessionId id) const {
  check_control_thread();
  const Slot* slot = live_slot(id);
  if (slot == nullptr) return std::nullopt;
  return slot->thread;
}

Result<CreatedSession, MediaError> MediaEngine::create_session(const SessionOptions& options) {
  check_control_thread();
  std::uint32_t thread_index = 0;
  const Slot* peer = options.same_thread_as ? live_slot(*options.same_thread_as) : nullptr;
  if (peer != nullptr) {
    thread_index = peer->thread;
  } else {
    const auto least = std::min_element(sessions_per_thread_.begin(), sessions_per_thread_.end());
    thread_index = static_cast<std::uint32_t>(least - sessions_per_thread_.begin());
  }
  MediaThread& thread = *threads_[thread_index];

  namespace ip = boost::asio::ip;
  ip::udp::socket socket(thread.io());
  boost::system::error_code ec;
  socket.open(config_.bind_address.is_v6() ? ip::udp::v6() : ip::udp::v4(), ec);
  if (ec) return unexpected(MediaError::no_free_port);
  // Ports another process holds are skipped (and go to the back of the queue).
  std::optional<std::uint16_t> port;
  std::vector<std::uint16_t> refused;
  const std::size_t attempts = std::min<std::size_t>(ports_->available(), 64);
  for (std::size_t i = 0; i < attempts && !port; ++i) {
    const auto candidate = ports_->take();
    if (!candidate) break;
    socket.bind(ip::udp::endpoint(config_.bind_address, *candidate), ec);
    if (ec) {
      refused.push_back(*candidate);
    } else {
      port = candidate;
    }
  }
  for (const std::uint16_t p : refused) ports_->give_back(p);
  if (!port) return unexpected(MediaError::no_free_port);
  socket.non_blocking(true, ec);

  std::uint32_t index = 0;
  if (!free_slots_.empty()) {
    index = free_slots_.back();
    free_slots_.pop_back();
  } else {
    index = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& slot = slots_[index];
  slot.live = true;
  slot.thread = thread_index;
  slot.port = *port;
  const SessionId id{index, slot.generation};
  ++sessions_per_thread_[thread_index];
  ++live_sessions_;

  auto session = std::make_unique<Session>(id, std::move(socket), *port,
                                           rtp::SendStream::random_start(random_), thread.env());
  thread.post(
      [&thread, session = std::move(session)]() mutable { thread.adopt(std::move(session)); });
  return CreatedSession{id, *port};
}

template <typename Command>
CommandResult MediaEngine::post_command(SessionId id, Command command) {
  check_control_thread();
  const Slot* slot = live_slot(id);
  if (slot == nullptr) return unexpected(MediaError::unknown_session);
  MediaThread& thread = *threads_[slot->thread];
  thread.post([&thread, id, command = std::move(command)]() mutable {
    // The session may have been destroyed by a command posted earlier: then nothing happens.
    if (Session* session = thread.find(id)) {
      command(*session, thread);
      thread.activate(*session);
    }
  });
  return std::monostate{};
}

namespace {

bool valid_params(const MediaParams& params, const boost::asio::ip::address& bind_address) {
  const auto ptime = params.ptime.count();
  if (ptime < 10 || ptime > 60 || ptime % 10 != 0) return false;
  if (params.codec.payload_type > 127) return false;
  if (params.telephone_event_payload_type &&
      (*params.telephone_event_payload_type > 127 ||
       *params.telephone_event_payload_type == params.codec.payload_type)) {
    return false;
  }
  // An IPv4 socket cannot reach an IPv6 remote.
  const auto& remote = params.remote.address();
  return !(bind_address.is_v4() && remote.is_v6() && !remote.is_unspecified());
}

}  // namespace

CommandResult MediaEngine::start(SessionId id, const MediaParams& params) {
  if (!valid_params(params, config_.bind_address)) return unexpected(MediaError::bad_argument);
  return post_command(id, [params](Session& session, MediaThread& thread) {
    session.apply(params, thread.current_tick());
  });
}

CommandResult MediaEngine::update(SessionId id, const MediaParams& params) {
  return start(id, params);
}

CommandResult MediaEngine::play(SessionId id, std::vector<std::shared_ptr<const AudioClip>> clips,
                                Loop loop, PlayId play_id) {
  std::size_t total = 0;
  for (const auto& clip : clips) {
    if (!clip) return unexpected(MediaError::bad_argument);
    total += clip->sample_count();
  }
  if (clips.empty() || (loop == Loop::yes && total == 0)) {
    return unexpected(MediaError::bad_argument);
  }
  return post_command(
      id, [clips = std::move(clips), loop, play_id](Session& session, MediaThread&) mutable {
        session.play(std::move(clips), loop, play_id);
      });
}

CommandResult MediaEngine::stop_play(SessionId id) {
  return post_command(id, [](Session& session, MediaThread&) { session.stop_play(); });
}

CommandResult MediaEngine::send_dtmf(SessionId id, char digit, std::chrono::milliseconds duration) {
  if (!rtp::event_for_dtmf_digit(digit)) return unexpected(MediaError::bad_argument);
  const auto clamped =
      std::clamp(duration, std::chrono::milliseconds(40), std::chrono::milliseconds(8000));
  return post_command(
      id, [digit, clamped](Session& session, MediaThread&) { session.send_dtmf(digit, clamped); });
}

CommandResult MediaEngine::record_start(SessionId id, std::filesystem::path path) {
  if (path.empty()) return unexpected(MediaError::bad_argument);
  return post_command(id, [path = std::move(path)](Session& session, MediaThread&) mutable {
    session.record_start(std::move(path));
  });
}

CommandResult MediaEngine::record_stop(SessionId id) {
  return post_command(id, [](Session& session, MediaThread&) { session.record_stop(); });
}

Result<std::uint32_t, MediaError> MediaEngine::shared_thread(SessionId a, SessionId b) const {
  check_control_thread();
  const Slot* first = live_slot(a);
  const Slot* second = live_slot(b);
  if (first == nullptr || second == nullptr) return unexpected(MediaError::unknown_session);
  // Bridged legs share a thread so forwarding needs no locks (ADR 0002).
  if (a == b || first->thread != second->thread) return unexpected(MediaError::bad_argument);
  return first->thread;
}

CommandResult MediaEngine::bridge(SessionId a, SessionId b) {
  const auto thread_index = shared_thread(a, b);
  if (!thread_index) return unexpected(thread_index.error());
  MediaThread& thread = *threads_[*thread_index];
  thread.post([&thread, a, b] { thread.bridge(a, b); });
  return std::monostate{};
}

CommandResult MediaEngine::unbridge(SessionId id) {
  check_control_thread();
  const Slot* slot = live_slot(id);
  if (slot == nullptr) return unexpected(MediaError::unknown_session);
  MediaThread& thread = *threads_[slot->thread];
  thread.post([&thread, id] { thread.unbridge(id); });
  return std::monostate{};
}

CommandResult MediaEngine::record_bridge_start(SessionId a, SessionId b,
                                               std::filesystem::path path) {
  if (path.empty()) return unexpected(MediaError::bad_argument);
  const auto thread_index = shared_thread(a, b);
  if (!thread_index) return unexpected(thread_index.error());
  MediaThread& thread = *threads_[*thread_index];
  thread.post([&thread, a, b, path = std::move(path)]() mutable {
    thread.record_bridge_start(a, b, std::move(path));
  });
  return std::monostate{};
}

CommandResult MediaEngine::record_bridge_stop(SessionId id) {
  check_control_thread();
  const Slot* slot = live_slot(id);
  if (slot == nullptr) return unexpected(MediaError::unknown_session);
  MediaThread& thread = *threads_[slot->thread];
  thread.post([&thread, id] { thread.record_bridge_stop(id); });
  return std::monostate{};
}

CommandResult MediaEngine::destroy(SessionId id) {
  check_control_thread();
  if (live_slot(id) == nullptr) return unexpected(MediaError::unknown_session);
  Slot& slot = slots_[id.index];
  MediaThread& thread = *threads_[slot.thread];
  thread.post([&thread, id] { thread.destroy(id); });
  slot.live = false;
  slot.generation = slot.generation == UINT32_MAX ? 1 : slot.generation + 1;
  free_slots_.push_back(id.index);
  --sessions_per_thread_[slot.thread];
  --live_sessions_;
  return std::monostate{};
}

MediaCounters MediaEngine::counters() const {
  MediaCounters total;
  total.sessions = live_sessions_.load(std::memory_order_relaxed);
  for (const auto& thread : threads_) {
    const auto& c = thread->counters();
    const auto get = [](const std::atomic<std::uint64_t>& v) {
      return v.load(std::memory_order_relaxed);
    };
    total.ticks += get(c.ticks);
    total.late_ticks += get(c.late_ticks);
    total.skipped_ticks += get(c.skipped_ticks);
    total.tick_cpu_ns += get(c.tick_cpu_ns);
    total.max_tick_ns = std::max(total.max_tick_ns, get(c.max_tick_ns));
    total.thread_cpu_ns += get(c.thread_cpu_ns);
    total.packets_sent += get(c.packets_sent);
    total.send_errors += get(c.send_errors);
    total.packets_received += get(c.packets_received);
    total.malformed_packets += get(c.malformed_packets);
    total.wrong_source_packets += get(c.wrong_source_packets);
    total.unknown_payload_packets += get(c.unknown_payload_packets);
    total.receive_errors += get(c.receive_errors);
    total.forwarded_packets += get(c.forwarded_packets);
    total.transcoded_packets += get(c.transcoded_packets);
    total.forward_paused_packets += get(c.forward_paused_packets);
    total.recording_late_samples += get(c.recording_late_samples);
    total.recording_early_samples += get(c.recording_early_samples);
  }
  total.recording_dropped_samples = writer_->dropped_samples();
  total.recording_queued_samples = writer_->queued_samples();
  return total;
}

void MediaEngine::drain_recordings() {
  writer_->drain();
}

}  // namespace kefu::media
