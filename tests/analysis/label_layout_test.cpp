// Label placement of the scatter plots: first free place, markers, lines and the area's edges.
#include "analysis/label_layout.h"

#include <gtest/gtest.h>

namespace qlsweep::analysis {
namespace {

// A 100 x 100 px area, 10 x 10 px characters, 10 px markers.
LabelCanvas Canvas() {
  LabelCanvas c;
  c.width_px = 100;
  c.height_px = 100;
  c.char_width_px = 10;
  c.char_height_px = 10;
  c.marker_px = 10;
  return c;
}

TEST(AnalysisLabelLayout, FirstFreePlaceWins) {
  struct Case {
    std::string label;
    std::vector<double> x, y;
    std::vector<std::string> labels;
    std::vector<double> lines;
    std::vector<std::string> want;  // align of each label, or "-" when left out
  };
  for (const auto& c : {
           Case{"alone: right above", {0.2}, {0.5}, {"ab"}, {}, {"left"}},
           Case{"at the right edge: left", {0.95}, {0.5}, {"ab"}, {}, {"right"}},
           Case{"two apart", {0.1, 0.6}, {0.5, 0.5}, {"ab", "cd"}, {}, {"left", "left"}},
           // 6 px apart: the second label collides right of its point (the first label is there)
           // and has no room on the left; it goes above.
           Case{"stacked", {0.2, 0.2}, {0.5, 0.56}, {"ab", "cd"}, {}, {"left", "center"}},
           Case{"a line to the right", {0.5}, {0.5}, {"ab"}, {0.65}, {"right"}},
           Case{"no room at all", {0.5}, {0.5}, {"a very long label indeed"}, {}, {"-"}},
       }) {
    const auto places = PlaceLabels(c.x, c.y, c.labels, Canvas(), c.lines);
    ASSERT_EQ(places.size(), c.want.size()) << c.label;
    for (size_t i = 0; i < places.size(); ++i) {
      EXPECT_EQ(places[i].shown ? places[i].align : "-", c.want[i]) << c.label << " #" << i;
    }
  }
}

TEST(AnalysisLabelLayout, OffsetsAreInCharacters) {
  const auto places = PlaceLabels({0.2, 0.2}, {0.5, 0.56}, {"ab", "cd"}, Canvas());
  ASSERT_TRUE(places[0].shown && places[1].shown);
  EXPECT_DOUBLE_EQ(places[0].dx_chars, 1.4);
  EXPECT_DOUBLE_EQ(places[0].dy_chars, 0.6);
  EXPECT_DOUBLE_EQ(places[1].dx_chars, 0);
  EXPECT_DOUBLE_EQ(places[1].dy_chars, 1.3);
}

}  // namespace
}  // namespace qlsweep::analysis
