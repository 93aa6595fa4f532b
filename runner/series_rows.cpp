// Trial events -> series rows: which event fields become which columns of the HDF5 series.
#include "runner/series_rows.h"

#include <string_view>
#include <utility>

#include "protocol/events.h"
#include "protocol/result_keys.h"
#include "storage/series_file.h"

namespace qlsweep::runner {

std::optional<SeriesRow> SeriesRowOf(const nlohmann::json& event) {
  namespace ev = protocol::event;
  namespace f = protocol::field;
  namespace r = protocol::result;
  const auto number = [](const nlohmann::json& from, std::string_view key) {
    return std::pair<const std::string, double>(key, from.at(std::string(key)).get<double>());
  };
  const auto kind = event.value(std::string(ev::kKey), std::string());
  if (kind == ev::kStep) {
    const auto& mem = event.at(std::string(f::kMemory));
    return SeriesRow{
        std::string(storage::kTrainGroup),
        {number(event, f::kStep), number(event, f::kLoss), number(event, f::kLr),
         number(event, f::kGradNorm), number(event, r::kStepTimeS), number(event, f::kTokens),
         number(mem, r::kAllocBytes), number(mem, r::kReservedBytes)}};
  }
  if (kind == ev::kEval) {
    return SeriesRow{std::string(storage::kEvalGroup),
                     {number(event, f::kStep), number(event, f::kEvalLoss),
                      number(event, r::kPerplexity), number(event, r::kTokenAccuracy)}};
  }
  return std::nullopt;
}

}  // namespace qlsweep::runner
