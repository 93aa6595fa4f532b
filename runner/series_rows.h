// The row of a series file (storage/series_file.h) that a trial event adds: a step event one row
// of group "train", an eval event one of group "eval". Written by the trial process itself (`train
// --h5`) or, in an MPI farm, by the coordinator from the events its workers forward.
#pragma once

#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace qlsweep::runner {

struct SeriesRow {
  std::string group;                     // storage::kTrainGroup or storage::kEvalGroup
  std::map<std::string, double> values;  // column -> value (SeriesFile::TrainColumns, EvalColumns)
};

// The row of a step or eval event; nullopt for other events. A step or eval event without one of
// its numeric fields throws nlohmann::json::exception.
std::optional<SeriesRow> SeriesRowOf(const nlohmann::json& event);

}  // namespace qlsweep::runner
