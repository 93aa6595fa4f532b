// --gpus and CUDA_VISIBLE_DEVICES -> trial slots.
#include "runner/gpu_slots.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "tests/support/expect_error.h"

namespace qlsweep::runner {
namespace {

using Slots = std::vector<std::string>;

TEST(ParseGpuList, SplitsOnCommas) {
  EXPECT_EQ(ParseGpuList("0"), Slots({"0"}));
  EXPECT_EQ(ParseGpuList("0,1,3"), Slots({"0", "1", "3"}));
  EXPECT_EQ(ParseGpuList("GPU-8f2a,GPU-11c0"), Slots({"GPU-8f2a", "GPU-11c0"}));
}

TEST(ParseGpuList, RejectsEmptyRepeatedAndSpacedEntries) {
  for (const char* bad : {"", "0,,1", "0,", "0,1,0", "0, 1"}) {
    SCOPED_TRACE(std::string("'") + bad + "'");
    EXPECT_THROW(ParseGpuList(bad), std::invalid_argument);
  }
  qlsweep::testing::ExpectError<std::invalid_argument>([] { ParseGpuList("2,2"); },
                                                       {"gpu 2 twice"});
}

TEST(TrialSlots, FlagWinsOverTheEnvironment) {
  EXPECT_EQ(TrialSlots("0,1", "2,3"), Slots({"0", "1"}));
}

TEST(TrialSlots, DefaultsToTheInheritedDevicesElseOneSlot) {
  EXPECT_EQ(TrialSlots("", "2,3"), Slots({"2", "3"}));
  EXPECT_EQ(TrialSlots("", nullptr), Slots({""}));
  EXPECT_EQ(TrialSlots("", ""), Slots({""}));
  EXPECT_EQ(TrialSlots("", "-1"), Slots({""}));  // every GPU hidden
}

}  // namespace
}  // namespace qlsweep::runner
