// A trainer::EventSink for tests: keeps every event the trial emits, in order.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/events.h"
#include "trainer/train/events.h"

namespace qlsweep::testing {

class RecordingSink : public trainer::EventSink {
 public:
  void Emit(const nlohmann::json& event) override { events.push_back(event); }

  // A copy of the last event (null before any): the done, oom or error event of a finished trial.
  nlohmann::json Last() const { return events.empty() ? nlohmann::json() : events.back(); }
  // The loss of every step event, in order.
  std::vector<double> Losses() const {
    std::vector<double> losses;
    for (const auto& e : events) {
      if (e.value(std::string(protocol::event::kKey), "") == protocol::event::kStep) {
        losses.push_back(e.at(std::string(protocol::field::kLoss)).get<double>());
      }
    }
    return losses;
  }

  std::vector<nlohmann::json> events;
};

}  // namespace qlsweep::testing
