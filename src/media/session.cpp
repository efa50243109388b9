#include "media/session.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>

#include "rtp/g711.hpp"
#include "rtp/packet.hpp"

namespace kefu::media::detail {

namespace {

constexpr std::uint8_t event_volume = 10;  // -10 dBm0, a typical keypad level
constexpr int end_packet_copies = 3;       // RFC 4733 2.5.1.4
constexpr std::chrono::milliseconds inband_gap{60};
constexpr std::size_t max_datagrams_per_wakeup = 256;
constexpr std::size_t recording_block_samples = media_sample_rate;  // about one second
constexpr std::uint32_t max_recording_gap = 10 * media_sample_rate;

bool is_ipv6(const boost::asio::ip::udp::socket& socket) {
  boost::system::error_code ec;
  const auto local = socket.local_endpoint(ec);
  return !ec && local.address().is_v6();
}

std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) {
  return (a + b - 1) / b;
}

std::byte silence_byte(Codec codec) {
  return std::byte{codec == Codec::pcmu ? rtp::g711::ulaw_silence : rtp::g711::alaw_silence};
}

void encode(Codec codec, std::span<const std::int16_t> pcm, std::span<std::byte> out) {
  if (codec == Codec::pcmu) {
    rtp::g711::encode_ulaw(pcm, out);
  } else {
    rtp::g711::encode_alaw(pcm, out);
  }
}

}  // namespace

Session::Session(SessionId id, boost::asio::ip::udp::socket socket, std::uint16_t port,
                 rtp::SendStream::Start send_start, const SessionEnv& env)
    : id_(id),
      socket_(std::move(socket)),
      port_(port),
      ipv6_socket_(is_ipv6(socket_)),
      env_(env),
      send_(send_start) {}

Session::~Session() {
  boost::system::error_code ignored;
  socket_.close(ignored);
  env_.ports.give_back(port_);
}

void Session::attach(std::uint64_t tick) {
  epoch_tick_ = tick + 1;
  next_frame_ = 0;
  last_receive_tick_ = tick;
}

std::uint32_t Session::frame_samples() const {
  const auto ptime = params_ ? params_->ptime : std::chrono::milliseconds(20);
  return static_cast<std::uint32_t>(ptime.count()) * (media_sample_rate / 1000);
}

bool Session::can_send() const {
  if (!params_ || !sends(params_->direction)) return false;
  const auto& target = latch_.send_target();
  return target.port() != 0 && !target.address().is_unspecified();
}

void Session::emit(MediaEvent event) const {
  if (env_.emit) env_.emit(std::move(event));
}

void Session::apply(const MediaParams& params, std::uint64_t tick) {
  const bool first = !params_;
  const bool remote_changed =
      first || params_->remote != params.remote || params_->latching != params.latching;
  const bool ptime_changed = first || params_->ptime != params.ptime;
  const bool events_changed =
      first || params_->telephone_event_payload_type != params.telephone_event_payload_type;
  const bool starts_receiving =
      first || (!expects_to_receive(params_->direction) && expects_to_receive(params.direction));
  params_ = params;

  if (remote_changed) {
    auto target = params.remote;
    if (ipv6_socket_ && target.address().is_v4()) {
      target.address(
          boost::asio::ip::make_address_v6(boost::asio::ip::v4_mapped, target.address().to_v4()));
    }
    latch_.reset(target, params.latching);
  }
  if (ptime_changed) {
    // Re-express the position in the new frame size; the first new frame starts a talkspurt.
    const std::uint64_t elapsed = (tick + 1 - std::min(epoch_tick_, tick + 1)) * samples_per_tick;
    next_frame_ = ceil_div(elapsed, frame_samples());
    last_sent_frame_.reset();
  }
  if (events_changed) {
    event_out_.reset();
    if (params.telephone_event_payload_type) inband_rx_.reset();
  }
  if (starts_receiving || remote_changed) {
    // A new remote or a resumed stream gets the full timeout before it counts as dead.
    last_receive_tick_ = tick;
    timeout_reported_ = false;
  }
}

void Session::play(std::vector<std::shared_ptr<const AudioClip>> clips, Loop loop, PlayId id) {
  if (play_) end_play(PlayOutcome::stopped);
  PlayState state;
  for (const auto& clip : clips) state.total_samples += clip->sample_count();
  state.clips = std::move(clips);
  state.loop = loop;
  state.id = id;
  play_ = std::move(state);
}

void Session::stop_play() {
  if (play_) end_play(PlayOutcome::stopped);
}

void Session::end_play(PlayOutcome outcome) {
  const PlayId id = play_->id;
  play_.reset();
  emit(PlayDone{id_, id, outcome});
}

void Session::send_dtmf(char digit, std::chrono::milliseconds duration) {
  digits_out_.push_back(DigitRequest{digit, duration});
}

void Session::record_start(std::filesystem::path path) {
  record_stop();
  Recording recording;
  recording.job = env_.writer.open(id_, std::move(path), 1);
  recording.block.reserve(recording_block_samples + 512);
  recording_ = std::move(recording);
}

void Session::record_stop() {
  if (!recording_) return;
  if (!recording_->block.empty()) {
    env_.writer.append(recording_->job, std::move(recording_->block));
  }
  env_.writer.finish(recording_->job);
  recording_.reset();
}

void Session::finish() {
  record_stop();
  play_.reset();
}

bool Session::needs_tick() const {
  return play_ || event_out_ || !digits_out_.empty() || (inband_tx_ && inband_tx_->busy());
}

void Session::on_tick(std::uint64_t tick, ThreadScratch& scratch) {
  if (tick < epoch_tick_) return;
  if (play_ && play_->last_tick && tick > *play_->last_tick + 1) {
    // The thread skipped ticks while this played: the prompt keeps wall-clock time (what those
    // ticks would have carried is skipped, not played late), so the bridge it pauses resumes
    // when it should instead of stretching with every stall.
    if (skip_play_audio((tick - *play_->last_tick - 1) * samples_per_tick)) {
      end_play(PlayOutcome::completed);
    }
  }
  if (play_) play_->last_tick = tick;
  const std::uint32_t frame = frame_samples();
  const std::uint64_t before = (tick - epoch_tick_) * samples_per_tick;
  const std::uint64_t after = before + samples_per_tick;
  // Only frames starting inside this tick's 20 ms are sent: slots of idle or skipped ticks stay
  // empty (their timestamps are skipped, and the next packet carries the marker bit).
  next_frame_ = std::max(next_frame_, ceil_div(before, frame));
  while (next_frame_ * frame < after && needs_tick()) {
    send_frame(next_frame_, scratch);
    ++next_frame_;
  }
}

void Session::send_frame(std::uint64_t frame, ThreadScratch& scratch) {
  const std::uint32_t samples = frame_samples();
  const bool sending = can_send();
  const Codec codec = params_ ? params_->codec.codec : Codec::pcmu;
  const auto payload = std::span(scratch.packet).subspan(rtp::fixed_header_size, samples);

  bool audio = false;
  bool play_ended = false;
  if (play_) {
    play_ended = sending ? take_play_audio(codec, payload) : skip_play_audio(samples);
    audio = sending;
  }
  if (sending) {
    if (params_->telephone_event_payload_type) {
      if ((event_out_ || !digits_out_.empty()) && send_event_packet(frame, scratch)) {
        audio = false;  // the event replaces the audio of this frame
      }
    } else if ((inband_tx_ && inband_tx_->busy()) || !digits_out_.empty()) {
      audio = send_inband_dtmf(frame, scratch, payload) || audio;
    }
  }
  // A frame overlapping audio just forwarded from the bridged peer would make the timestamps
  // go back: its audio is consumed but not sent.
  if (audio && frame * samples < sent_until_) audio = false;
  if (audio) {
    forward_.reset();  // our own audio interrupts forwarding: the next forwarded packet re-bases
    sent_until_ = (frame + 1) * samples;
    const bool marker = !last_sent_frame_ || *last_sent_frame_ + 1 != frame;
    const auto header = send_.next(frame * samples);
    rtp::write_fixed_header(std::span(scratch.packet).first<rtp::fixed_header_size>(), marker,
                            params_->codec.payload_type, header.sequence, header.timestamp,
                            send_.ssrc());
    transmit(std::span(scratch.packet).first(rtp::fixed_header_size + samples));
    last_sent_frame_ = frame;
  }
  if (play_ended) end_play(PlayOutcome::completed);
}

bool Session::take_play_audio(Codec codec, std::span<std::byte> out) {
  PlayState& p = *play_;
  std::size_t filled = 0;
  while (filled < out.size()) {
    if (p.clip == p.clips.size()) {
      if (p.loop == Loop::yes && p.total_samples > 0) {
        p.clip = 0;
        continue;
      }
      std::fill(out.begin() + static_cast<std::ptrdiff_t>(filled), out.end(), silence_byte(codec));
      break;
    }
    const auto encoded = p.clips[p.clip]->encoded(codec);
    const std::size_t n = std::min(out.size() - filled, encoded.size() - p.offset);
    std::memcpy(out.data() + filled, encoded.data() + p.offset, n);
    filled += n;
    p.offset += n;
    if (p.offset == encoded.size()) {
      ++p.clip;
      p.offset = 0;
    }
  }
  return p.loop == Loop::no && p.clip == p.clips.size();
}

bool Session::skip_play_audio(std::size_t samples) {
  PlayState& p = *play_;
  while (samples > 0) {
    if (p.clip == p.clips.size()) {
      if (p.loop == Loop::yes && p.total_samples > 0) {
        p.clip = 0;
        continue;
      }
      break;
    }
    const std::size_t size = p.clips[p.clip]->sample_count();
    const std::size_t n = std::min(samples, size - p.offset);
    samples -= n;
    p.offset += n;
    if (p.offset == size) {
      ++p.clip;
      p.offset = 0;
    }
  }
  return p.loop == Loop::no && p.clip == p.clips.size();
}

bool Session::send_event_packet(std::uint64_t frame, ThreadScratch& scratch) {
  const std::uint32_t samples = frame_samples();
  if (!event_out_) {
    const DigitRequest request = digits_out_.front();
    digits_out_.pop_front();
    const auto event = rtp::event_for_dtmf_digit(request.digit);
    if (!event) return false;  // validated by the engine; kept safe anyway
    const auto wanted = static_cast<std::uint64_t>(request.duration.count()) * 8;
    event_out_ = EventOut{
        *event, static_cast<std::uint32_t>(std::clamp<std::uint64_t>(wanted, samples, 0xFFFF)),
        frame, send_.timestamp_at(frame * samples), 0};
  }
  EventOut& e = *event_out_;
  forward_.reset();
  const std::uint64_t elapsed = (frame - e.first_frame + 1) * samples;
  const bool end = elapsed >= e.total;
  const rtp::TelephoneEvent payload{
      e.event, end, event_volume,
      static_cast<std::uint16_t>(end ? e.total : static_cast<std::uint32_t>(elapsed))};
  const auto header = send_.next(e.first_frame * samples);
  rtp::write_fixed_header(std::span(scratch.packet).first<rtp::fixed_header_size>(),
                          frame == e.first_frame, *params_->telephone_event_payload_type,
                          header.sequence, header.timestamp, send_.ssrc());
  rtp::write_telephone_event(
      payload,
      std::span(scratch.packet).subspan<rtp::fixed_header_size, rtp::telephone_event_size>());
  transmit(std::span(scratch.packet).first(rtp::fixed_header_size + rtp::telephone_event_size));
  last_sent_frame_ = frame;
  if (end && ++e.end_packets_sent >= end_packet_copies) event_out_.reset();
  return true;
}

bool Session::send_inband_dtmf(std::uint64_t /*frame*/, ThreadScratch& scratch,
                               std::span<std::byte> payload) {
  if (!inband_tx_) inband_tx_ = std::make_unique<InbandDtmfGenerator>();
  while (!inband_tx_->busy()) {
    if (digits_out_.empty()) return false;
    const DigitRequest request = digits_out_.front();
    digits_out_.pop_front();
    inband_tx_->start(request.digit, request.duration, inband_gap);
  }
  const auto pcm = std::span(scratch.pcm).first(payload.size());
  const std::size_t produced = inband_tx_->generate(pcm);
  std::fill(pcm.begin() + static_cast<std::ptrdiff_t>(produced), pcm.end(), std::int16_t{0});
  encode(params_->codec.codec, pcm, payload);
  return true;
}

void Session::transmit(std::span<const std::byte> packet) {
  boost::system::error_code ec;
  socket_.send_to(boost::asio::buffer(packet.data(), packet.size()), latch_.send_target(), 0, ec);
  if (ec) {
    env_.counters.send_errors.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  env_.counters.packets_sent.fetch_add(1, std::memory_order_relaxed);
  send_.add_octets(packet.size() - rtp::fixed_header_size);
}

void Session::on_readable(std::uint64_t tick, std::uint32_t arrival, ThreadScratch& scratch) {
  constexpr std::size_t batch = ThreadScratch::receive_batch;
  std::array<mmsghdr, batch> messages{};
  std::array<iovec, batch> buffers{};
  std::array<sockaddr_storage, batch> sources{};
  for (std::size_t i = 0; i < batch; ++i) {
    buffers[i] = {scratch.receive[i].data(), scratch.receive[i].size()};
    messages[i].msg_hdr.msg_iov = &buffers[i];
    messages[i].msg_hdr.msg_iovlen = 1;
    messages[i].msg_hdr.msg_name = &sources[i];
  }
  for (std::size_t read = 0; read < max_datagrams_per_wakeup;) {
    for (std::size_t i = 0; i < batch; ++i) messages[i].msg_hdr.msg_namelen = sizeof(sources[i]);
    const int got =
        ::recvmmsg(socket_.native_handle(), messages.data(), batch, MSG_DONTWAIT, nullptr);
    if (got < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        env_.counters.receive_errors.fetch_add(1, std::memory_order_relaxed);
      }
      return;
    }
    const auto count = static_cast<std::size_t>(got);
    env_.counters.packets_received.fetch_add(count, std::memory_order_relaxed);
    for (std::size_t i = 0; i < count; ++i) {
      boost::asio::ip::udp::endpoint source;
      const auto name_length = messages[i].msg_hdr.msg_namelen;
      if (name_length > source.capacity()) continue;
      std::memcpy(source.data(), &sources[i], name_length);
      source.resize(name_length);
      if ((messages[i].msg_hdr.msg_flags & MSG_TRUNC) != 0) {
        env_.counters.malformed_packets.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      handle_packet(std::span(scratch.receive[i]).first(messages[i].msg_len), source, tick, arrival,
                    scratch);
    }
    if (count < batch) return;  // drained: the next datagram wakes the reactor again
    read += count;
  }
}

void Session::handle_packet(std::span<const std::byte> bytes,
                            const boost::asio::ip::udp::endpoint& source, std::uint64_t tick,
                            std::uint32_t arrival, ThreadScratch& scratch) {
  const auto packet = rtp::parse_packet(bytes);
  if (!packet) {
    env_.counters.malformed_packets.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (!params_) return;  // not started: nothing negotiated to interpret it with
  if (latch_.on_receive(source) == rtp::SourceVerdict::wrong_source) {
    env_.counters.wrong_source_packets.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  last_receive_tick_ = tick;
  timeout_reported_ = false;
  if (remote_ssrc_ != packet->ssrc) {
    // A new source (or the remote restarted): statistics and event state start over.
    remote_ssrc_ = packet->ssrc;
    receive_stats_.reset();
    events_in_.reset();
    if (recording_) recording_->next_timestamp.reset();
  }

  const std::uint8_t pt = packet->payload_type;
  if (params_->telephone_event_payload_type && pt == *params_->telephone_event_payload_type) {
    receive_stats_.on_sequence(packet->sequence);
    const auto event = rtp::parse_telephone_event(packet->payload);
    if (!event) {
      env_.counters.malformed_packets.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    for (const auto& finished :
         events_in_.on_packet(packet->timestamp, packet->marker, *event,
                              tick * static_cast<std::uint64_t>(tick_interval.count()))) {
      if (const auto digit = rtp::dtmf_digit_for_event(finished.event)) {
        emit(DtmfReceived{id_, *digit, std::chrono::milliseconds(finished.duration / 8),
                          DtmfSource::rfc4733});
      }
    }
    if (peer_ != nullptr) peer_->forward_event(*packet, tick, scratch);
    return;
  }

  std::optional<Codec> law;
  if (pt == params_->codec.payload_type) {
    law = params_->codec.codec;
  } else if (pt == 0) {
    law = Codec::pcmu;  // static payload types are understood even when not negotiated
  } else if (pt == 8) {
    law = Codec::pcma;
  }
  if (!law) {
    if (pt != 13) {  // comfort noise (RFC 3389) is expected and ignored
      env_.counters.unknown_payload_packets.fetch_add(1, std::memory_order_relaxed);
    }
    return;
  }
  receive_stats_.on_packet(packet->sequence, packet->timestamp, arrival);
  handle_audio(*packet, *law, tick, arrival, scratch);
  if (peer_ != nullptr) peer_->forward_audio(*packet, *law, tick, scratch);
}

void Session::handle_audio(const rtp::PacketView& packet, Codec law, std::uint64_t tick,
                           std::uint32_t arrival, ThreadScratch& scratch) {
  // The stereo recorder keeps G.711 as it came and places it by its timestamp. It needs the
  // time of arrival, not the last tick: a busy thread runs ticks late.
  if (stereo_ != nullptr) {
    const std::uint64_t tick_samples = tick * 160;
    const std::uint64_t now_samples =
        tick_samples +
        static_cast<std::uint64_t>(static_cast<std::int64_t>(
            static_cast<std::int32_t>(arrival - static_cast<std::uint32_t>(tick_samples))));
    stereo_->add(stereo_channel_, packet.ssrc, packet.timestamp, law, packet.payload, now_samples);
  }
  const bool detect_inband = !params_->telephone_event_payload_type;
  if (!detect_inband && !recording_) return;
  const auto pcm =
      std::span(scratch.pcm).first(std::min(packet.payload.size(), scratch.pcm.size()));
  if (law == Codec::pcmu) {
    rtp::g711::decode_ulaw(packet.payload, pcm);
  } else {
    rtp::g711::decode_alaw(packet.payload, pcm);
  }
  if (detect_inband) {
    if (!inband_rx_) inband_rx_ = std::make_unique<InbandDtmfDetector>();
    for (const auto& digit : inband_rx_->process(pcm)) {
      emit(DtmfReceived{id_, digit.digit, digit.duration, DtmfSource::inband});
    }
  }
  if (recording_) append_recording(pcm, packet.timestamp, packet.ssrc);
}

void Session::link_peer(Session* peer) {
  peer_ = peer;
  forward_.reset();
}

bool Session::forwarding_blocked() const {
  // What this leg sends itself wins: a prompt or music (play), or DTMF we generate.
  return !can_send() || play_ || event_out_ || !digits_out_.empty() ||
         (inband_tx_ && inband_tx_->busy());
}

std::uint64_t Session::forward_position(const rtp::PacketView& packet, std::uint64_t tick,
                                        bool& rebased) {
  rebased = false;
  // Within one forwarded stream the incoming timestamp spacing is kept (gaps of silence
  // suppression stay gaps); a new source, a jump of more than 10 s or a switch from our own
  // audio re-bases onto our media clock, never before what was already sent.
  constexpr std::int64_t max_jump = 10 * media_sample_rate;
  if (forward_ && forward_->ssrc == packet.ssrc) {
    const auto delta = static_cast<std::int32_t>(packet.timestamp - forward_->timestamp);
    const auto position = static_cast<std::int64_t>(forward_->position) + delta;
    if (delta > -max_jump && delta < max_jump && position >= 0) {
      if (delta > 0) {
        forward_->timestamp = packet.timestamp;
        forward_->position = static_cast<std::uint64_t>(position);
      }
      return static_cast<std::uint64_t>(position);
    }
  }
  const std::uint64_t slot = tick >= epoch_tick_ ? (tick - epoch_tick_) * samples_per_tick : 0;
  const std::uint64_t position = std::max(slot, sent_until_);
  forward_ = ForwardMap{packet.ssrc, packet.timestamp, position};
  rebased = true;
  last_sent_frame_.reset();  // our next own packet starts a talkspurt too
  return position;
}

void Session::forward_audio(const rtp::PacketView& packet, Codec law, std::uint64_t tick,
                            ThreadScratch& scratch) {
  if (forwarding_blocked()) {
    env_.counters.forward_paused_packets.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const std::size_t size = packet.payload.size();
  if (size == 0 || rtp::fixed_header_size + size > scratch.packet.size()) return;
  bool rebase = false;
  const std::uint64_t position = forward_position(packet, tick, rebase);
  const auto header = send_.next(position);
  rtp::write_fixed_header(std::span(scratch.packet).first<rtp::fixed_header_size>(),
                          packet.marker || rebase, params_->codec.payload_type, header.sequence,
                          header.timestamp, send_.ssrc());
  const auto payload = std::span(scratch.packet).subspan(rtp::fixed_header_size, size);
  const Codec out = params_->codec.codec;
  if (out == law) {
    std::memcpy(payload.data(), packet.payload.data(), size);
  } else {
    if (law == Codec::pcmu) {
      rtp::g711::transcode_ulaw_to_alaw(packet.payload, payload);
    } else {
      rtp::g711::transcode_alaw_to_ulaw(packet.payload, payload);
    }
    env_.counters.transcoded_packets.fetch_add(1, std::memory_order_relaxed);
  }
  transmit(std::span(scratch.packet).first(rtp::fixed_header_size + size));
  env_.counters.forwarded_packets.fetch_add(1, std::memory_order_relaxed);
  sent_until_ = std::max(sent_until_, position + size);
  last_sent_frame_.reset();
}

void Session::forward_event(const rtp::PacketView& packet, std::uint64_t tick,
                            ThreadScratch& scratch) {
  // A leg that did not negotiate telephone-event gets nothing (the digit was still reported
  // on the receiving leg).
  if (!params_ || !params_->telephone_event_payload_type || forwarding_blocked()) return;
  const std::size_t size = packet.payload.size();
  if (size == 0 || rtp::fixed_header_size + size > scratch.packet.size()) return;
  bool rebase = false;
  const std::uint64_t position = forward_position(packet, tick, rebase);
  const auto header = send_.next(position);
  rtp::write_fixed_header(std::span(scratch.packet).first<rtp::fixed_header_size>(),
                          packet.marker || rebase, *params_->telephone_event_payload_type,
                          header.sequence, header.timestamp, send_.ssrc());
  std::memcpy(scratch.packet.data() + rtp::fixed_header_size, packet.payload.data(), size);
  transmit(std::span(scratch.packet).first(rtp::fixed_header_size + size));
  env_.counters.forwarded_packets.fetch_add(1, std::memory_order_relaxed);
  last_sent_frame_.reset();
}

void Session::append_recording(std::span<const std::int16_t> pcm, std::uint32_t timestamp,
                               std::uint32_t ssrc) {
  Recording& r = *recording_;
  if (r.ssrc != ssrc) {
    r.ssrc = ssrc;
    r.next_timestamp.reset();
  }
  if (r.next_timestamp) {
    const auto gap = static_cast<std::int32_t>(timestamp - *r.next_timestamp);
    if (gap < 0) return;  // late or duplicate: its place in the file is already written
    // Lost packets and silence suppression leave timestamp gaps: keep the timeline with
    // silence. A huge jump is a timestamp reset, not a pause.
    if (gap > 0 && static_cast<std::uint32_t>(gap) <= max_recording_gap) {
      r.block.insert(r.block.end(), static_cast<std::size_t>(gap), std::int16_t{0});
    }
  }
  r.next_timestamp = timestamp + static_cast<std::uint32_t>(pcm.size());
  r.block.insert(r.block.end(), pcm.begin(), pcm.end());
  if (r.block.size() >= recording_block_samples) {
    env_.writer.append(r.job, std::move(r.block));
    r.block = {};
    r.block.reserve(recording_block_samples + 512);
  }
}

void Session::housekeeping(std::uint64_t tick) {
  const std::uint64_t now_ms = tick * static_cast<std::uint64_t>(tick_interval.count());
  if (const auto expired = events_in_.expire(now_ms)) {
    if (const auto digit = rtp::dtmf_digit_for_event(expired->event)) {
      emit(DtmfReceived{id_, *digit, std::chrono::milliseconds(expired->duration / 8),
                        DtmfSource::rfc4733});
    }
  }
  if (!params_ || !expects_to_receive(params_->direction) || env_.rtp_timeout.count() <= 0 ||
      timeout_reported_) {
    return;
  }
  if ((tick - last_receive_tick_) * tick_interval >= env_.rtp_timeout) {
    timeout_reported_ = true;
    emit(RtpTimeout{id_});
  }
}

}  // namespace kefu::media::detail
