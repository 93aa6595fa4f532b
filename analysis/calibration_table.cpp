// Calibration rows: prediction, measurement and relative error side by side.
#include "analysis/calibration_table.h"

#include <cstdio>
#include <string>

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
  const std::pair<const char*, const char*> pairs[] = {
      {"predicted.allocated_bytes", "peak_alloc_bytes"},
      {"predicted.reserved_bytes", "peak_reserved_bytes"},
      {"predicted.total_bytes", "device_peak_bytes"}};
  for (const char* what : {"allocated", "reserved", "device"}) {
    for (const char* part : {" predicted GiB", " measured GiB", " error %"}) {
      table.headers.push_back(std::string(what) + part);
    }
  }
  for (const auto& t : trials) {
    std::vector<std::string> row = {t.id, t.name};
    bool complete = true;
    for (const auto& [predicted_key, measured_key] : pairs) {
      const auto p = t.results.find(predicted_key), m = t.results.find(measured_key);
      if (p == t.results.end() || m == t.results.end() || m->second <= 0) {
        complete = false;
        break;
      }
      row.push_back(Format("%.2f", p->second / kGiB));
      row.push_back(Format("%.2f", m->second / kGiB));
      row.push_back(Format("%+.1f", 100.0 * (p->second - m->second) / m->second));
    }
    if (complete) table.rows.push_back(std::move(row));
  }
  return table;
}

}  // namespace qlsweep::analysis
