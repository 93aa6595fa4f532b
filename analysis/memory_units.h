// Byte counts for people: one unit per column (MiB or GiB), signed margins, digit grouping.
#pragma once

#include <string>

namespace qlsweep::analysis {

inline constexpr double kMiB = 1024.0 * 1024.0;
inline constexpr double kGiB = 1024.0 * kMiB;

struct MemoryUnit {
  std::string name;  // "MiB" or "GiB"
  double bytes;      // bytes per unit
  int decimals;      // digits after the point
};

// GiB (2 decimals) when `largest_bytes` is at least 1 GiB, else MiB (1 decimal).
MemoryUnit UnitFor(double largest_bytes);

// `bytes` in `unit`, without the unit's name: "5.51".
std::string InUnit(double bytes, const MemoryUnit& unit);

// A signed amount with its unit, MiB below 1 GiB of magnitude: "+412 MiB", "-1.20 GiB".
std::string SignedBytes(double bytes);

// An integer with thousands separators: 39976960 -> "39,976,960".
std::string GroupedInteger(double value);

}  // namespace qlsweep::analysis
