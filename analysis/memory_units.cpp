// Formatting of byte counts and large integers for the trade-off tables and plot labels.
#include "analysis/memory_units.h"

#include <cmath>
#include <cstdio>

namespace qlsweep::analysis {

MemoryUnit UnitFor(double largest_bytes) {
  if (largest_bytes >= kGiB) return {"GiB", kGiB, 2};
  return {"MiB", kMiB, 1};
}

std::string InUnit(double bytes, const MemoryUnit& unit) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.*f", unit.decimals, bytes / unit.bytes);
  return buf;
}

std::string SignedBytes(double bytes) {
  char buf[48];
  if (std::fabs(bytes) < kGiB) {
    std::snprintf(buf, sizeof(buf), "%+.0f MiB", bytes / kMiB);
  } else {
    std::snprintf(buf, sizeof(buf), "%+.2f GiB", bytes / kGiB);
  }
  return buf;
}

std::string GroupedInteger(double value) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.0f", std::fabs(value));
  std::string digits = buf, out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

}  // namespace qlsweep::analysis
