// Trial events -> series rows: which event fields become which columns of the HDF5 series.
#include "runner/series_rows.h"

#include <string_view>
#include <utility>

#include "protocol/events.h"
#include "protocol/result_keys.h"
#include "runner/event_fields.h"
#include "storage/series_file.h"

namespace qlsweep::runner {

std::optional<SeriesRow> SeriesRowOf(const nlohmann::json& event) {
  namespace ev = protocol::event;
  namespace f = protocol::field;
  namespace r = protocol::result;
  const auto number = [](const nlohmann::json& from, std::string_view key) {
    // A NaN loss arrives as null: it stays NaN; a missing field is NaN too.
    return std::pair<const std::string, double>(key, NumberOr(from, key));
  };
  const auto kind_it = event.is_object() ? event.find(std::string(ev::kKey)) : event.end();
  if (!event.is_object() || kind_it == event.end() || !kind_it->is_string()) return std::nullopt;
  const auto kind = kind_it->get<std::string>();
  if (kind == ev::kStep) {
    const auto mem_it = event.find(std::string(f::kMemory));
    const auto& mem = mem_it != event.end() ? *mem_it : nlohmann::json::object();
    return SeriesRow{
        std::string(storage::kTrainGroup),
        {number(event, f::kStep), number(event, f::kLoss), number(event, f::kLr),
         number(event, f::kGradNorm), number(event, r::kStepTimeS), number(event, f::kTokens),
         number(mem, r::kAllocBytes), number(mem, r::kReservedBytes), number(event, f::kLossScale),
         number(event, f::kSkipped)}};
  }
  if (kind == ev::kEval) {
    return SeriesRow{std::string(storage::kEvalGroup),
                     {number(event, f::kStep), number(event, f::kEvalLoss),
                      number(event, r::kPerplexity), number(event, r::kTokenAccuracy)}};
  }
  return std::nullopt;
}

}  // namespace qlsweep::runner
