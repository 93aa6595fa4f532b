// Calibration rows: prediction, measurement and relative error side by side.
#include "analysis/calibration_table.h"

#include <cstdio>
#include <string>

#include "analysis/trial_values.h"
#include "protocol/result_keys.h"

namespace qlsweep::analysis {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

std::string Format(const char* fmt, double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), fmt, v);
  return buf;
}

}  // namespace

TextTable CalibrationTable(const std::vector<storage::TrialRow>& trials) {
  TextTable table;
  table.headers = {"trial", "name"};
  namespace result = protocol::result;
  const std::pair<std::string_view, std::string_view> pairs[] = {
      {result::kPredictedAllocatedBytes, result::kPeakAllocBytes},
      {result::kPredictedReservedBytes, result::kPeakReservedBytes},
      {result::kPredictedTotalBytes, result::kDevicePeakBytes}};
  for (const char* what : {"allocated", "reserved", "device"}) {
    for (const char* part : {" predicted GiB", " measured GiB", " error %"}) {
      table.headers.push_back(std::string(what) + part);
    }
  }
  for (const auto& t : trials) {
    std::vector<std::string> row = {t.id, t.name};
    bool complete = true;
    for (const auto& [predicted_key, measured_key] : pairs) {
      const auto p = Result(t, predicted_key), m = Result(t, measured_key);
      if (!p || !m || *m <= 0) {
        complete = false;
        break;
      }
      row.push_back(Format("%.2f", *p / kGiB));
      row.push_back(Format("%.2f", *m / kGiB));
      row.push_back(Format("%+.1f", 100.0 * (*p - *m) / *m));
    }
    if (complete) table.rows.push_back(std::move(row));
  }
  return table;
}

}  // namespace qlsweep::analysis
