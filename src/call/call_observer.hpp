#pragma once
// What the call layer reports about each call's life, for whoever keeps records (the app wires
// the store in). Called on the control loop; implementations must not block it.
#include "call/leg.hpp"

namespace kefu::call {

enum class Answered : std::uint8_t { no, yes };

class CallObserver {
 public:
  virtual ~CallObserver() = default;
  virtual void call_arrived(const LegInfo& info) = 0;
  virtual void call_answered(const LegInfo& info) = 0;
  virtual void call_ended(const LegInfo& info, LegEnd why, Answered answered) = 0;
};

}  // namespace kefu::call
