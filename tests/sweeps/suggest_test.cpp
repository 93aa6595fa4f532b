// Did-you-mean hints: edit distance and the choice of the nearest valid name.
#include "sweeps/suggest.h"

#include <gtest/gtest.h>

namespace qlsweep::sweeps {
namespace {

TEST(SweepsSuggest, EditDistanceCountsSwapsAsOneEdit) {
  EXPECT_EQ(EditDistance("", ""), 0u);
  EXPECT_EQ(EditDistance("lora.r", "lora.r"), 0u);
  EXPECT_EQ(EditDistance("lroa.r", "lora.r"), 1u);
  EXPECT_EQ(EditDistance("lora.rank", "lora.r"), 3u);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
}

TEST(SweepsSuggest, NearestPrefersTheSameLastComponentThenTheClosest) {
  const std::vector<std::string> keys = {"lora.r", "lora.alpha", "optim.lr", "data.seq_len"};
  EXPECT_EQ(Nearest("lora.rank", keys), "lora.r");
  EXPECT_EQ(Nearest("train.lr", keys), "optim.lr");
  EXPECT_EQ(Nearest("seq_len", keys), "data.seq_len");
  EXPECT_EQ(Nearest("lora.alhpa", keys), "lora.alpha");
  EXPECT_EQ(Nearest("completely_different", keys), std::nullopt);
  EXPECT_EQ(Nearest("x", {"q", "k", "v"}), std::nullopt);
  EXPECT_EQ(DidYouMean("lora.rank", keys), "; did you mean 'lora.r'?");
  EXPECT_EQ(DidYouMean("zzz", keys), "");
}

}  // namespace
}  // namespace qlsweep::sweeps
