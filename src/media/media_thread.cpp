#include "media/media_thread.hpp"

#include <sys/epoll.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <system_error>

#include <boost/asio/executor_work_guard.hpp>

namespace kefu::media::detail {

namespace {

// Ticks run back to back to catch up after a stall of at most this many; beyond it the
// missed ticks are skipped (audio would otherwise arrive as a burst the phone cannot use).
constexpr int max_catch_up_ticks = 5;
constexpr std::uint64_t housekeeping_every_ticks = 50;  // once a second
// Sockets served per epoll_wait, and rounds of them per wake-up before the tick and commands
// get their turn (the rest stay ready: the set is level-triggered).
constexpr int ready_batch = 256;
constexpr int max_ready_rounds = 8;

std::uint64_t pack(SessionId id) {
  return (static_cast<std::uint64_t>(id.generation) << 32) | id.index;
}
SessionId unpack(std::uint64_t value) {
  return SessionId{static_cast<std::uint32_t>(value & 0xffffffffU),
                   static_cast<std::uint32_t>(value >> 32)};
}

int create_epoll() {
  const int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
  return fd;
}

std::uint64_t thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000U +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

}  // namespace

MediaThread::MediaThread(const EventCallback& emit, RecordingWriter& writer, PortPool& ports,
                         std::chrono::milliseconds rtp_timeout)
    : env_{emit, writer, ports, counters_, rtp_timeout},
      timer_(io_),
      epoll_fd_(create_epoll()),
      epoll_(io_, epoll_fd_),
      scratch_(std::make_unique<ThreadScratch>()) {}

MediaThread::~MediaThread() {
  stop();
}

void MediaThread::start() {
  started_at_ = std::chrono::steady_clock::now();
  next_deadline_ = started_at_ + tick_interval;
  schedule_tick();
  wait_readable();
  thread_ = std::thread([this] {
    auto work = boost::asio::make_work_guard(io_);
    io_.run();
  });
}

void MediaThread::stop() {
  if (!thread_.joinable()) return;
  post([this] {
    for (auto& recorder : stereo_recorders_) recorder->finish();
    stereo_recorders_.clear();
    for (auto& session : sessions_) {
      if (session) session->finish();
    }
    sessions_.clear();
    active_.clear();
    timer_.cancel();
    boost::system::error_code ignored;
    epoll_.close(ignored);
    io_.stop();
  });
  thread_.join();
}

void MediaThread::schedule_tick() {
  timer_.expires_at(next_deadline_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) on_timer();
  });
}

void MediaThread::on_timer() {
  const auto now = std::chrono::steady_clock::now();
  int ran = 0;
  // Deadlines advance from the previous deadline, not from "now": no drift.
  while (next_deadline_ <= now && ran < max_catch_up_ticks) {
    current_tick_ = static_cast<std::uint64_t>((next_deadline_ - started_at_) / tick_interval);
    run_tick();
    next_deadline_ += tick_interval;
    ++ran;
  }
  if (ran > 1)
    counters_.late_ticks.fetch_add(static_cast<std::uint64_t>(ran - 1), std::memory_order_relaxed);
  if (next_deadline_ <= now) {
    const auto behind = (now - next_deadline_) / tick_interval + 1;
    next_deadline_ += behind * tick_interval;
    counters_.skipped_ticks.fetch_add(static_cast<std::uint64_t>(behind),
                                      std::memory_order_relaxed);
  }
  schedule_tick();
}

void MediaThread::run_tick() {
  const std::uint64_t cpu_before = thread_cpu_ns();
  // Send: every session on the tick list gets its frames for this 20 ms; sessions that went
  // idle (or were destroyed) leave the list.
  std::size_t kept = 0;
  for (std::size_t i = 0; i < active_.size(); ++i) {
    Session* session = find(active_[i]);
    if (session == nullptr) continue;
    if (session->needs_tick()) session->on_tick(current_tick_, *scratch_);
    if (session->needs_tick()) {
      active_[kept++] = active_[i];
    } else {
      session->in_active_list = false;
    }
  }
  active_.resize(kept);
  // Stereo recordings take one aligned 20 ms slot from each leg.
  for (auto& recorder : stereo_recorders_) recorder->on_tick(current_tick_);

  if (current_tick_ >= next_housekeeping_tick_) {
    next_housekeeping_tick_ = current_tick_ + housekeeping_every_ticks;
    for (auto& session : sessions_) {
      if (session) session->housekeeping(current_tick_);
    }
  }
  const std::uint64_t cpu_after = thread_cpu_ns();
  const std::uint64_t spent = cpu_after - cpu_before;
  counters_.thread_cpu_ns.store(cpu_after, std::memory_order_relaxed);
  counters_.ticks.fetch_add(1, std::memory_order_relaxed);
  counters_.tick_cpu_ns.fetch_add(spent, std::memory_order_relaxed);
  if (spent > counters_.max_tick_ns.load(std::memory_order_relaxed)) {
    counters_.max_tick_ns.store(spent, std::memory_order_relaxed);
  }
}

void MediaThread::adopt(std::unique_ptr<Session> session) {
  const std::uint32_t index = session->id().index;
  if (sessions_.size() <= index) sessions_.resize(index + 1);
  Session& adopted = *session;
  sessions_[index] = std::move(session);
  adopted.attach(current_tick_);
  watch(adopted);
}

Session* MediaThread::find(SessionId id) {
  if (id.index >= sessions_.size()) return nullptr;
  Session* session = sessions_[id.index].get();
  return session != nullptr && session->id() == id ? session : nullptr;
}

void MediaThread::destroy(SessionId id) {
  Session* session = find(id);
  if (session == nullptr) return;
  record_bridge_stop(id);
  unbridge(id);
  session->finish();
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, session->socket().native_handle(), nullptr);
  // Readiness already fetched for it finds the slot empty (or a newer generation).
  sessions_[id.index].reset();
}

void MediaThread::activate(Session& session) {
  if (session.in_active_list || !session.needs_tick()) return;
  session.in_active_list = true;
  active_.push_back(session.id());
}

void MediaThread::bridge(SessionId a, SessionId b) {
  Session* left = find(a);
  Session* right = find(b);
  if (left == nullptr || right == nullptr || left == right) return;
  unbridge(a);
  unbridge(b);
  left->link_peer(right);
  right->link_peer(left);
}

void MediaThread::unbridge(SessionId id) {
  Session* session = find(id);
  if (session == nullptr) return;
  if (Session* peer = session->peer()) peer->link_peer(nullptr);
  session->link_peer(nullptr);
}

void MediaThread::record_bridge_start(SessionId left, SessionId right, std::filesystem::path path) {
  Session* left_session = find(left);
  Session* right_session = find(right);
  if (left_session == nullptr || right_session == nullptr || left_session == right_session) {
    return;
  }
  record_bridge_stop(left);
  record_bridge_stop(right);
  auto recorder = std::make_unique<StereoRecorder>(env_.writer, left, right, std::move(path),
                                                   current_tick_, &counters_);
  left_session->set_stereo_tap(recorder.get(), StereoChannel::left);
  right_session->set_stereo_tap(recorder.get(), StereoChannel::right);
  stereo_recorders_.push_back(std::move(recorder));
}

void MediaThread::record_bridge_stop(SessionId id) {
  const auto found = std::find_if(stereo_recorders_.begin(), stereo_recorders_.end(),
                                  [id](const auto& r) { return r->records(id); });
  if (found == stereo_recorders_.end()) return;
  StereoRecorder& recorder = **found;
  for (const SessionId leg : {recorder.left(), recorder.right()}) {
    if (Session* session = find(leg)) session->set_stereo_tap(nullptr, StereoChannel::left);
  }
  recorder.finish();
  stereo_recorders_.erase(found);
}

void MediaThread::watch(Session& session) {
  epoll_event event{};
  event.events = EPOLLIN;  // level-triggered: what a round leaves unread is reported again
  event.data.u64 = pack(session.id());
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, session.socket().native_handle(), &event) != 0) {
    counters_.receive_errors.fetch_add(1, std::memory_order_relaxed);
  }
}

void MediaThread::wait_readable() {
  if (waiting_) return;
  waiting_ = true;
  epoll_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                    [this](const boost::system::error_code& ec) {
                      waiting_ = false;
                      if (ec) {
                        if (ec == boost::asio::error::operation_aborted) return;
                        counters_.receive_errors.fetch_add(1, std::memory_order_relaxed);
                      }
                      on_sockets_readable();
                    });
}

void MediaThread::on_sockets_readable() {
  std::array<epoll_event, ready_batch> ready{};
  for (int round = 0; round < max_ready_rounds; ++round) {
    const int count = ::epoll_wait(epoll_fd_, ready.data(), ready_batch, 0);
    if (count <= 0) {
      wait_readable();
      return;
    }
    for (int i = 0; i < count; ++i)
      on_readable(unpack(ready[static_cast<std::size_t>(i)].data.u64));
  }
  // Still busy: let the tick and the commands run, then come straight back.
  waiting_ = true;
  boost::asio::post(io_, [this] {
    waiting_ = false;
    on_sockets_readable();
  });
}

void MediaThread::on_readable(SessionId id) {
  Session* session = find(id);
  if (session == nullptr) return;  // destroyed while the wake-up was queued
  // Arrival time in 8 kHz units for the jitter estimate; once per wake-up, not per packet.
  const auto since_start = std::chrono::steady_clock::now() - started_at_;
  const auto arrival = static_cast<std::uint32_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(since_start).count() * 8 / 1000);
  session->on_readable(current_tick_, arrival, *scratch_);
  // Commands triggered by events do not come back here; the session may now need the tick
  // (nothing in receiving starts sending today, but keep the list honest).
  activate(*session);
}

}  // namespace kefu::media::detail
