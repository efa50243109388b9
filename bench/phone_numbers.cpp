// Reading a typed phone number into E.164 (PhoneNumbers::normalize) and a stored one back for
// display and region: with the shortcuts for plain Chinese spellings (the default) and with
// every number through libphonenumber's parser, in one run so that the ratio holds on a noisy
// machine. The look-up by phone and the screen pop do these on every request.
#include <benchmark/benchmark.h>

#include <array>
#include <string>

#include "crm/phone_numbers.hpp"

namespace {

using kefu::crm::PhoneNumbers;

constexpr std::array<const char*, 4> kSpellings{"139 1234 5678", "13912345678", "020-8333 1234",
                                                "+86 20 8333 1234"};

const PhoneNumbers& numbers(bool shortcuts) {
  static const PhoneNumbers with(PhoneNumbers::Options{.shortcuts = true});
  static const PhoneNumbers without(PhoneNumbers::Options{.shortcuts = false});
  return shortcuts ? with : without;
}

void BM_Normalize(benchmark::State& state) {
  const PhoneNumbers& phone_numbers = numbers(state.range(0) != 0);
  std::size_t i = 0;
  for (auto _ : state) {
    auto e164 = phone_numbers.normalize(kSpellings[i++ % kSpellings.size()]);
    benchmark::DoNotOptimize(e164);
  }
  state.SetLabel(state.range(0) != 0 ? "shortcuts" : "library parser");
}
BENCHMARK(BM_Normalize)->Arg(1)->Arg(0)->Unit(benchmark::kMicrosecond);

// What the screen pop does with the caller's number and each of the customer's: the display
// form, and the region from the offline geocoder.
constexpr std::array<const char*, 2> kStored{"+8613912345678", "+862083331234"};

void BM_Display(benchmark::State& state) {
  const PhoneNumbers& phone_numbers = numbers(state.range(0) != 0);
  std::size_t i = 0;
  for (auto _ : state) {
    auto display = phone_numbers.display(kStored[i++ % kStored.size()]);
    benchmark::DoNotOptimize(display);
  }
  state.SetLabel(state.range(0) != 0 ? "shortcuts" : "library parser");
}
BENCHMARK(BM_Display)->Arg(1)->Arg(0)->Unit(benchmark::kMicrosecond);

void BM_Region(benchmark::State& state) {
  const PhoneNumbers& phone_numbers = numbers(state.range(0) != 0);
  std::size_t i = 0;
  for (auto _ : state) {
    auto region = phone_numbers.region(kStored[i++ % kStored.size()]);
    benchmark::DoNotOptimize(region);
  }
  state.SetLabel(state.range(0) != 0 ? "shortcuts" : "library parser");
}
BENCHMARK(BM_Region)->Arg(1)->Arg(0)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
