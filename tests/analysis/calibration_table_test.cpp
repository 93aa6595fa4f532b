// Calibration table: errors computed per pair, incomplete trials left out.
#include "analysis/calibration_table.h"

#include <gtest/gtest.h>

namespace qlsweep::analysis {
namespace {

TEST(CalibrationTable, ShowsPredictionMeasurementAndSignedError) {
  storage::TrialRow done;
  done.id = "a";
  done.name = "r=16";
  constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
  done.results = {{"predicted.allocated_bytes", 5.5 * kGiB}, {"peak_alloc_bytes", 5.0 * kGiB},
                  {"predicted.reserved_bytes", 5.0 * kGiB},  {"peak_reserved_bytes", 5.0 * kGiB},
                  {"predicted.total_bytes", 6.0 * kGiB},     {"device_peak_bytes", 8.0 * kGiB}};
  storage::TrialRow oom = done;
  oom.id = "b";
  oom.results.erase("device_peak_bytes");  // an oom trial has no final measurement
  const auto table = CalibrationTable({done, oom});
  ASSERT_EQ(table.rows.size(), 1u);
  EXPECT_EQ(table.rows[0], (std::vector<std::string>{"a", "r=16", "5.50", "5.00", "+10.0", "5.00",
                                                     "5.00", "+0.0", "6.00", "8.00", "-25.0"}));
  EXPECT_EQ(table.headers.size(), 11u);
}

}  // namespace
}  // namespace qlsweep::analysis
