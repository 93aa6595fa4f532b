// Pareto fronts: dominance with lower cost and higher benefit, ties, empty input.
#include "analysis/pareto_front.h"

#include <gtest/gtest.h>

namespace qlsweep::analysis {
namespace {

TEST(ParetoFront, KeepsOnlyPointsThatNoOtherBeatsOnBoth) {
  const std::vector<ParetoPoint> points = {{5.0, 0.50},   // cheapest
                                           {5.5, 0.75},   // better quality for more memory
                                           {5.9, 0.70},   // dominated by the one above
                                           {6.1, 1.00},   // best quality
                                           {6.1, 0.90}};  // same memory, less quality: dominated
  EXPECT_EQ(ParetoFront(points), (std::vector<bool>{true, true, false, true, false}));
}

TEST(ParetoFront, EqualPointsAreBothOnTheFront) {
  EXPECT_EQ(ParetoFront({{1, 1}, {1, 1}, {2, 0.5}}), (std::vector<bool>{true, true, false}));
}

TEST(ParetoFront, SingleAndEmpty) {
  EXPECT_EQ(ParetoFront({{3, 3}}), std::vector<bool>{true});
  EXPECT_TRUE(ParetoFront({}).empty());
}

}  // namespace
}  // namespace qlsweep::analysis
