// --gpus and CUDA_VISIBLE_DEVICES -> trial slots.
#include "runner/gpu_slots.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace qlsweep::runner {
namespace {

using Slots = std::vector<std::string>;

TEST(ParseGpuList, SplitsOnCommas) {
  EXPECT_EQ(ParseGpuList("0"), Slots({"0"}));
  EXPECT_EQ(ParseGpuList("0,1,3"), Slots({"0", "1", "3"}));
  EXPECT_EQ(ParseGpuList("GPU-8f2a,GPU-11c0"), Slots({"GPU-8f2a", "GPU-11c0"}));
}

TEST(ParseGpuList, RejectsEmptyRepeatedAndSpacedEntries) {
  EXPECT_THROW(ParseGpuList(""), std::invalid_argument);
  EXPECT_THROW(ParseGpuList("0,,1"), std::invalid_argument);
  EXPECT_THROW(ParseGpuList("0,"), std::invalid_argument);
  EXPECT_THROW(ParseGpuList("0,1,0"), std::invalid_argument);
  EXPECT_THROW(ParseGpuList("0, 1"), std::invalid_argument);
  try {
    ParseGpuList("2,2");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("gpu 2 twice"), std::string::npos) << e.what();
  }
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
