#include <gtest/gtest.h>

#include "sip/stack/asio_timer.hpp"
#include "sip/stack/timer.hpp"

namespace kefu::sip {
namespace {

using namespace std::chrono_literals;

TEST(VirtualClock, RunsTimersInDeadlineOrderOnlyWhenAdvanced) {
  VirtualClock clock;
  std::vector<int> fired;
  clock.start(30ms, [&] { fired.push_back(3); });
  clock.start(10ms, [&] { fired.push_back(1); });
  clock.start(10ms, [&] { fired.push_back(2); });  // same deadline: start order
  EXPECT_TRUE(fired.empty());
  EXPECT_EQ(clock.advance(10ms), 2u);
  EXPECT_EQ(fired, (std::vector<int>{1, 2}));
  clock.advance(19ms);
  EXPECT_EQ(fired.size(), 2u);
  clock.advance(1ms);
  EXPECT_EQ(fired, (std::vector<int>{1, 2, 3}));
}

TEST(VirtualClock, CancelledTimersDoNotRunAndChainedTimersDo) {
  VirtualClock clock;
  int runs = 0;
  const TimerId cancelled = clock.start(5ms, [&] { runs += 100; });
  clock.start(5ms, [&] {
    ++runs;
    clock.start(5ms, [&] { ++runs; });  // due at 10 ms, inside the same advance
  });
  clock.cancel(cancelled);
  const TimePoint start = clock.now();
  clock.advance(10ms);
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(clock.now() - start, 10ms);
  EXPECT_EQ(clock.pending(), 0u);
}

TEST(ScopedTimer, CancelsOnDestructionAndRestart) {
  VirtualClock clock;
  int runs = 0;
  {
    ScopedTimer timer(clock);
    timer.start(5ms, [&] { ++runs; });
  }
  ScopedTimer timer(clock);
  timer.start(5ms, [&] { runs += 10; });
  timer.start(6ms, [&] { runs += 100; });  // replaces the first
  EXPECT_TRUE(timer.running());
  clock.advance(10ms);
  EXPECT_EQ(runs, 100);
  EXPECT_FALSE(timer.running());
}

TEST(AsioTimerService, FiresInOrderOnTheIoContext) {
  boost::asio::io_context io;
  AsioTimerService timers(io);
  std::vector<int> fired;
  timers.start(20ms, [&] { fired.push_back(2); });
  timers.start(1ms, [&] { fired.push_back(1); });
  const TimerId cancelled = timers.start(5ms, [&] { fired.push_back(99); });
  timers.cancel(cancelled);
  timers.start(0ms, [&] {
    fired.push_back(0);
    timers.start(30ms, [&] {
      fired.push_back(3);
      io.stop();
    });
  });
  io.run_for(5s);  // bounded: the last timer stops the loop long before
  EXPECT_EQ(fired, (std::vector<int>{0, 1, 2, 3}));
}

}  // namespace
}  // namespace kefu::sip
