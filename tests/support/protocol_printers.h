// gtest printing of the protocol's types: a failed EXPECT_EQ on statuses shows "oom", not bytes.
// Include it in every test file that compares TrialStatus values.
#pragma once

#include <ostream>

#include "protocol/trial_status.h"

namespace qlsweep::protocol {

inline void PrintTo(TrialStatus status, std::ostream* os) { *os << ToString(status); }

}  // namespace qlsweep::protocol
