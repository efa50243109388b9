// Media plane benchmarks. The socket benchmarks send to a sink socket on 127.0.0.1 that a
// helper thread drains, so every packet takes the full loopback path; CPU time is the sending
// thread's (loopback delivery runs in its softirq, so it is included).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <benchmark/benchmark.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include "media/audio_clip.hpp"
#include "media/media_engine.hpp"
#include "rtp/g711.hpp"
#include "rtp/packet.hpp"
#include "rtp/telephone_event.hpp"

namespace {

using namespace kefu;

std::vector<std::int16_t> speech_like_frame() {
  std::vector<std::int16_t> pcm(160);
  for (std::size_t i = 0; i < pcm.size(); ++i) {
    pcm[i] = static_cast<std::int16_t>(9000 * std::sin(0.3 * static_cast<double>(i)) +
                                       3000 * std::sin(1.7 * static_cast<double>(i)));
  }
  return pcm;
}

void BM_EncodeUlawFrame(benchmark::State& state) {
  const auto pcm = speech_like_frame();
  std::array<std::byte, 160> out{};
  for (auto _ : state) {
    rtp::g711::encode_ulaw(pcm, out);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodeUlawFrame);

void BM_DecodeUlawFrame(benchmark::State& state) {
  std::array<std::byte, 160> in{};
  rtp::g711::encode_ulaw(speech_like_frame(), in);
  std::array<std::int16_t, 160> out{};
  for (auto _ : state) {
    rtp::g711::decode_ulaw(in, out);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeUlawFrame);

void BM_TranscodeUlawToAlawFrame(benchmark::State& state) {
  std::array<std::byte, 160> in{};
  rtp::g711::encode_ulaw(speech_like_frame(), in);
  std::array<std::byte, 160> out{};
  for (auto _ : state) {
    rtp::g711::transcode_ulaw_to_alaw(in, out);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TranscodeUlawToAlawFrame);

// What the tick does per playing session: copy the cached encoded frame, write the header.
void BM_PacketizeFromCachedClip(benchmark::State& state) {
  std::vector<std::int16_t> samples(8000 * 10);
  for (std::size_t i = 0; i < samples.size(); ++i) {
    samples[i] = static_cast<std::int16_t>(8000 * std::sin(0.05 * static_cast<double>(i)));
  }
  const auto clip = media::AudioClip::make(std::move(samples));
  const auto encoded = clip->encoded(media::Codec::pcmu);
  std::array<std::byte, 1500> packet{};
  std::size_t offset = 0;
  std::uint16_t seq = 0;
  std::uint32_t ts = 0;
  for (auto _ : state) {
    rtp::write_fixed_header(std::span(packet).first<rtp::fixed_header_size>(), false, 0, seq++,
                            ts += 160, 0x1234);
    std::memcpy(packet.data() + rtp::fixed_header_size, encoded.data() + offset, 160);
    offset = (offset + 160) % (encoded.size() - 160);
    benchmark::DoNotOptimize(packet);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PacketizeFromCachedClip);

void BM_ParseRtpAndEvent(benchmark::State& state) {
  std::array<std::byte, 16> packet{};
  rtp::write_fixed_header(std::span(packet).first<rtp::fixed_header_size>(), false, 101, 1, 8000,
                          7);
  rtp::write_telephone_event({5, false, 10, 320},
                             std::span(packet).subspan<rtp::fixed_header_size, 4>());
  rtp::TelephoneEventReceiver receiver;
  std::uint64_t now = 0;
  for (auto _ : state) {
    const auto parsed = rtp::parse_packet(packet);
    const auto event = rtp::parse_telephone_event(parsed->payload);
    auto finished = receiver.on_packet(parsed->timestamp, parsed->marker, *event, ++now);
    benchmark::DoNotOptimize(finished);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseRtpAndEvent);

// A sink socket on loopback with a thread that drains it.
class Sink {
 public:
  Sink() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    const int buffer = 16 << 20;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    drainer_ = std::thread([this] {
      std::array<char, 2048> datagram{};
      while (!stop_.load()) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        while (::recv(fd_, datagram.data(), datagram.size(), MSG_DONTWAIT) > 0) received_++;
      }
    });
  }
  ~Sink() {
    stop_ = true;
    drainer_.join();
    ::close(fd_);
  }
  std::uint16_t port() const { return port_; }
  std::uint64_t received() const { return received_.load(); }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> received_{0};
  std::thread drainer_;
};

// One packet from each of N sockets per iteration: the tick's send loop (one socket per
// session, as symmetric RTP requires).
void BM_SendLoopAsio(benchmark::State& state) {
  const auto sockets_count = static_cast<std::size_t>(state.range(0));
  Sink sink;
  boost::asio::io_context io;
  namespace ip = boost::asio::ip;
  std::vector<ip::udp::socket> sockets;
  for (std::size_t i = 0; i < sockets_count; ++i) {
    sockets.emplace_back(io, ip::udp::endpoint(ip::address_v4::loopback(), 0));
    sockets.back().non_blocking(true);
  }
  const ip::udp::endpoint target(ip::address_v4::loopback(), sink.port());
  std::array<std::byte, 172> packet{};
  std::uint64_t errors = 0;
  for (auto _ : state) {
    for (auto& socket : sockets) {
      boost::system::error_code ec;
      socket.send_to(boost::asio::buffer(packet), target, 0, ec);
      if (ec) ++errors;
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(sockets_count));
  state.counters["send_errors"] = static_cast<double>(errors);
}
BENCHMARK(BM_SendLoopAsio)->Arg(2000)->Unit(benchmark::kMicrosecond);

void BM_SendLoopRawSendto(benchmark::State& state) {
  const auto sockets_count = static_cast<std::size_t>(state.range(0));
  Sink sink;
  std::vector<int> sockets;
  sockaddr_in target{};
  target.sin_family = AF_INET;
  target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (std::size_t i = 0; i < sockets_count; ++i) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    ::bind(fd, reinterpret_cast<sockaddr*>(&target), sizeof target);
    sockets.push_back(fd);
  }
  target.sin_port = htons(sink.port());
  std::array<std::byte, 172> packet{};
  for (auto _ : state) {
    for (const int fd : sockets) {
      ::sendto(fd, packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&target),
               sizeof target);
    }
  }
  for (const int fd : sockets) ::close(fd);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(sockets_count));
}
BENCHMARK(BM_SendLoopRawSendto)->Arg(2000)->Unit(benchmark::kMicrosecond);

// The batching we give up: N packets through ONE socket with sendmmsg (what a shared sending
// socket would allow, which symmetric RTP rules out).
void BM_SendmmsgOneSocket(benchmark::State& state) {
  const auto count = static_cast<std::size_t>(state.range(0));
  Sink sink;
  sockaddr_in target{};
  target.sin_family = AF_INET;
  target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  ::bind(fd, reinterpret_cast<sockaddr*>(&target), sizeof target);
  target.sin_port = htons(sink.port());
  std::array<std::byte, 172> packet{};
  std::vector<iovec> iov(count, iovec{packet.data(), packet.size()});
  std::vector<mmsghdr> messages(count);
  for (std::size_t i = 0; i < count; ++i) {
    messages[i].msg_hdr.msg_name = &target;
    messages[i].msg_hdr.msg_namelen = sizeof target;
    messages[i].msg_hdr.msg_iov = &iov[i];
    messages[i].msg_hdr.msg_iovlen = 1;
  }
  for (auto _ : state) {
    std::size_t sent = 0;
    while (sent < count) {
      const int n = ::sendmmsg(fd, messages.data() + sent,
                               static_cast<unsigned>(std::min<std::size_t>(count - sent, 1024)), 0);
      if (n <= 0) break;
      sent += static_cast<std::size_t>(n);
    }
  }
  ::close(fd);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(count));
}
BENCHMARK(BM_SendmmsgOneSocket)->Arg(2000)->Unit(benchmark::kMicrosecond);

// The engine itself: N sessions playing a looping clip to the sink on one media thread for a
// few seconds. Reports the media thread's CPU per packet (measured inside the ticks) and the
// process's CPU per packet (ticks, receive side of nothing, timers, the sink's drain thread).
void BM_EngineTickPlaying(benchmark::State& state) {
  const auto sessions = static_cast<std::size_t>(state.range(0));
  Sink sink;
  media::MediaConfig config;
  config.threads = 1;
  config.bind_address = boost::asio::ip::address_v4::loopback();
  config.rtp_port_min = 40000;
  config.rtp_port_max = 49999;
  config.rtp_timeout = std::chrono::milliseconds(0);
  media::MediaEngine engine(config, [](media::MediaEvent) {});
  std::vector<std::int16_t> samples(8000 * 5);
  for (std::size_t i = 0; i < samples.size(); ++i) {
    samples[i] = static_cast<std::int16_t>(8000 * std::sin(0.05 * static_cast<double>(i)));
  }
  const auto clip = media::AudioClip::make(std::move(samples));
  media::MediaParams params;
  params.remote = {boost::asio::ip::address_v4::loopback(), sink.port()};
  params.latching = media::Latching::off;
  for (std::size_t i = 0; i < sessions; ++i) {
    auto created = engine.create_session();
    if (!created) {
      state.SkipWithError("could not create sessions");
      return;
    }
    (void)engine.start(created->id, params);
    (void)engine.play(created->id, {clip}, media::Loop::yes, i);
  }
  for (auto _ : state) {
    const auto before = engine.counters();
    rusage usage_before{};
    getrusage(RUSAGE_SELF, &usage_before);
    std::this_thread::sleep_for(std::chrono::seconds(3));  // the engine runs on its own
    rusage usage_after{};
    getrusage(RUSAGE_SELF, &usage_after);
    const auto after = engine.counters();
    const auto cpu_us = [](const rusage& u) {
      return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e6 + u.ru_utime.tv_usec +
             u.ru_stime.tv_usec;
    };
    const double packets = static_cast<double>(after.packets_sent - before.packets_sent);
    const double ticks = static_cast<double>(after.ticks - before.ticks);
    state.counters["packets_per_s"] = packets / 3.0;
    state.counters["tick_cpu_us_per_packet"] =
        static_cast<double>(after.tick_cpu_ns - before.tick_cpu_ns) / 1000.0 / packets;
    state.counters["tick_cpu_us_mean"] =
        static_cast<double>(after.tick_cpu_ns - before.tick_cpu_ns) / 1000.0 / ticks;
    state.counters["tick_cpu_us_max"] = static_cast<double>(after.max_tick_ns) / 1000.0;
    state.counters["process_cpu_us_per_packet"] =
        (cpu_us(usage_after) - cpu_us(usage_before)) / packets;
    state.counters["late_ticks"] = static_cast<double>(after.late_ticks - before.late_ticks);
    state.counters["skipped_ticks"] =
        static_cast<double>(after.skipped_ticks - before.skipped_ticks);
    state.counters["send_errors"] = static_cast<double>(after.send_errors - before.send_errors);
  }
}
BENCHMARK(BM_EngineTickPlaying)
    ->Arg(500)
    ->Arg(2000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The receive side: N sessions each get one 20 ms PCMU packet every 20 ms from the benchmark
// thread. With telephone-event negotiated nothing is decoded; without it every packet is
// decoded and run through spandsp's in-band DTMF detector. Reports the media thread's CPU per
// received packet (wake-up, epoll re-arm, two recvfrom calls, parse, and the work above).
void BM_EngineReceive(benchmark::State& state) {
  const auto sessions = static_cast<std::size_t>(state.range(0));
  const bool inband = state.range(1) != 0;
  media::MediaConfig config;
  config.threads = 1;
  config.bind_address = boost::asio::ip::address_v4::loopback();
  config.rtp_port_min = 40000;
  config.rtp_port_max = 49999;
  config.rtp_timeout = std::chrono::milliseconds(0);
  media::MediaEngine engine(config, [](media::MediaEvent) {});
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  media::MediaParams params;
  params.remote = {boost::asio::ip::address_v4::loopback(), ntohs(address.sin_port)};
  params.direction = media::Direction::recvonly;
  if (!inband) params.telephone_event_payload_type = 101;
  std::vector<std::uint16_t> ports;
  for (std::size_t i = 0; i < sessions; ++i) {
    auto created = engine.create_session();
    if (!created) {
      state.SkipWithError("could not create sessions");
      ::close(fd);
      return;
    }
    (void)engine.start(created->id, params);
    ports.push_back(created->local_port);
  }
  std::array<std::byte, 172> packet{};
  const auto frame = speech_like_frame();
  rtp::g711::encode_ulaw(frame, std::span(packet).subspan(rtp::fixed_header_size));
  for (auto _ : state) {
    const auto before = engine.counters();
    auto next = std::chrono::steady_clock::now();
    for (int round = 0; round < 150; ++round) {  // 3 s
      for (const std::uint16_t port : ports) {
        rtp::write_fixed_header(std::span(packet).first<rtp::fixed_header_size>(), round == 0, 0,
                                static_cast<std::uint16_t>(round),
                                static_cast<std::uint32_t>(round) * 160, port);
        sockaddr_in to = address;
        to.sin_port = htons(port);
        ::sendto(fd, packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
      }
      next += std::chrono::milliseconds(20);
      std::this_thread::sleep_until(next);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let the last round land
    const auto after = engine.counters();
    const double received = static_cast<double>(after.packets_received - before.packets_received);
    state.counters["packets_received"] = received;
    state.counters["thread_cpu_us_per_packet"] =
        static_cast<double>(after.thread_cpu_ns - before.thread_cpu_ns) / 1000.0 / received;
  }
  ::close(fd);
}
BENCHMARK(BM_EngineReceive)
    ->Args({2000, 0})
    ->Args({2000, 1})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Bridged calls: N pairs of legs on one media thread; every 20 ms the benchmark thread sends one
// 20 ms packet to each of the 2N legs, and each is forwarded on arrival to its peer (whose
// remote is the sink). Reports the media thread's CPU per forwarded packet, which includes
// receiving it (wake-up, epoll re-arm, recvfrom, parse) and sending it on; with transcoding
// (caller PCMU, agent PCMA) and with a stereo recording per pair (decode + one slot per tick +
// the writer thread's disk writes, which are not on the media thread).
void BM_EngineBridge(benchmark::State& state) {
  const auto pairs = static_cast<std::size_t>(state.range(0));
  const bool transcode = state.range(1) != 0;
  const bool record = state.range(2) != 0;
  Sink sink;
  // Removed after the engine (declared before it): the engine's destructor finishes the files.
  struct TempDir {
    std::filesystem::path path = std::filesystem::temp_directory_path() /
                                 ("kefu-bench-bridge-" + std::to_string(::getpid()));
    TempDir() { std::filesystem::create_directories(path); }
    ~TempDir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  } temp_dir;
  const auto& dir = temp_dir.path;
  media::MediaConfig config;
  config.threads = 1;
  config.bind_address = boost::asio::ip::address_v4::loopback();
  config.rtp_port_min = 40000;
  config.rtp_port_max = 49999;
  config.rtp_timeout = std::chrono::milliseconds(0);
  std::atomic<std::uint64_t> recordings_failed{0};
  media::MediaEngine engine(config, [&](media::MediaEvent event) {
    if (const auto* done = std::get_if<media::RecordingDone>(&event); done && !done->ok) {
      recordings_failed.fetch_add(1);
    }
  });
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  media::MediaParams caller_params;
  caller_params.remote = {boost::asio::ip::address_v4::loopback(), sink.port()};
  caller_params.latching = media::Latching::off;  // packets come from the benchmark's socket
  caller_params.telephone_event_payload_type = 101;
  media::MediaParams agent_params = caller_params;
  if (transcode) agent_params.codec = {media::Codec::pcma, 8};
  std::vector<std::uint16_t> ports;
  std::vector<media::SessionId> callers;
  for (std::size_t i = 0; i < pairs; ++i) {
    auto caller = engine.create_session();
    auto agent = caller ? engine.create_session({.same_thread_as = caller->id})
                        : decltype(caller)(kefu::unexpected(media::MediaError::no_free_port));
    if (!caller || !agent) {
      state.SkipWithError("could not create sessions");
      ::close(fd);
      return;
    }
    (void)engine.start(caller->id, caller_params);
    (void)engine.start(agent->id, agent_params);
    (void)engine.bridge(caller->id, agent->id);
    if (record) {
      (void)engine.record_bridge_start(caller->id, agent->id,
                                       dir / ("call-" + std::to_string(i) + ".wav"));
    }
    ports.push_back(caller->local_port);
    ports.push_back(agent->local_port);
    callers.push_back(caller->id);
  }
  std::array<std::byte, 172> ulaw{};
  std::array<std::byte, 172> alaw{};
  const auto frame = speech_like_frame();
  rtp::g711::encode_ulaw(frame, std::span(ulaw).subspan(rtp::fixed_header_size));
  rtp::g711::encode_alaw(frame, std::span(alaw).subspan(rtp::fixed_header_size));
  for (auto _ : state) {
    const auto before = engine.counters();
    auto next = std::chrono::steady_clock::now();
    for (int round = 0; round < 150; ++round) {  // 3 s
      for (std::size_t i = 0; i < ports.size(); ++i) {
        const bool agent_leg = i % 2 == 1;
        auto& packet = agent_leg && transcode ? alaw : ulaw;
        rtp::write_fixed_header(std::span(packet).first<rtp::fixed_header_size>(), round == 0,
                                agent_leg && transcode ? 8 : 0, static_cast<std::uint16_t>(round),
                                static_cast<std::uint32_t>(round) * 160,
                                static_cast<std::uint32_t>(i));
        sockaddr_in to = address;
        to.sin_port = htons(ports[i]);
        ::sendto(fd, packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
      }
      next += std::chrono::milliseconds(20);
      std::this_thread::sleep_until(next);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let the last round land
    const auto after = engine.counters();
    const double forwarded =
        static_cast<double>(after.forwarded_packets - before.forwarded_packets);
    state.counters["packets_received"] =
        static_cast<double>(after.packets_received - before.packets_received);
    state.counters["packets_forwarded"] = forwarded;
    state.counters["packets_transcoded"] =
        static_cast<double>(after.transcoded_packets - before.transcoded_packets);
    state.counters["thread_cpu_us_per_forwarded"] =
        static_cast<double>(after.thread_cpu_ns - before.thread_cpu_ns) / 1000.0 / forwarded;
    state.counters["tick_cpu_us_max"] = static_cast<double>(after.max_tick_ns) / 1000.0;
    state.counters["late_ticks"] = static_cast<double>(after.late_ticks - before.late_ticks);
    state.counters["send_errors"] = static_cast<double>(after.send_errors - before.send_errors);
  }
  ::close(fd);
  if (record) {
    for (const auto id : callers) (void)engine.record_bridge_stop(id);
    // Stops are posted to the media thread; wait (bounded) until every file is reported.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      engine.drain_recordings();
      std::size_t finished = 0;
      for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.path().extension() == ".wav") ++finished;
      }
      if (finished + recordings_failed.load() >= callers.size()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    state.counters["recordings_failed"] = static_cast<double>(recordings_failed.load());
  }
}
BENCHMARK(BM_EngineBridge)
    ->ArgNames({"pairs", "transcode", "record"})
    ->Args({500, 0, 0})
    ->Args({500, 1, 0})
    ->Args({500, 0, 1})
    ->Args({500, 1, 1})
    ->Args({1000, 0, 0})
    ->Args({1000, 1, 1})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
