// The qlsweep version string (printed by --version and recorded in each trial's environment).
#pragma once

namespace qlsweep::runner {

inline constexpr const char* kVersion = "0.1.0";

}  // namespace qlsweep::runner
