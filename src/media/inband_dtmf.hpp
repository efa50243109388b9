#pragma once
// In-band DTMF with spandsp: a detector run on decoded received audio when RFC 4733 was not
// negotiated, and a generator for sending digits as tones in the audio.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace kefu::media {

class InbandDtmfDetector {
 public:
  struct Digit {
    char digit;
    std::chrono::milliseconds duration;
  };

  InbandDtmfDetector();
  ~InbandDtmfDetector();
  InbandDtmfDetector(const InbandDtmfDetector&) = delete;
  InbandDtmfDetector& operator=(const InbandDtmfDetector&) = delete;

  // Runs the detector over 8 kHz samples; digits are reported when their tone ends.
  // The returned span stays valid until the next call.
  std::span<const Digit> process(std::span<const std::int16_t> samples);

 private:
  static void on_tone_change(void* self, int code, int level, int delay);

  struct State;
  std::unique_ptr<State> state_;
};

class InbandDtmfGenerator {
 public:
  InbandDtmfGenerator();
  ~InbandDtmfGenerator();
  InbandDtmfGenerator(const InbandDtmfGenerator&) = delete;
  InbandDtmfGenerator& operator=(const InbandDtmfGenerator&) = delete;

  // Queues one digit: `on` of tone followed by `off` of silence. False for an unknown digit.
  bool start(char digit, std::chrono::milliseconds on, std::chrono::milliseconds off);
  // Fills `out`; returns how many samples were generated (fewer when the digit ended).
  std::size_t generate(std::span<std::int16_t> out);
  bool busy() const { return busy_; }

 private:
  struct State;
  std::unique_ptr<State> state_;
  bool busy_ = false;
};

}  // namespace kefu::media
