// Placing point labels of a scatter plot so that they overlap neither each other nor the points.
#pragma once

#include <string>
#include <vector>

namespace qlsweep::analysis {

// The plot's drawing area in pixels and the label font's character size.
struct LabelCanvas {
  double width_px = 783, height_px = 409;  // the area inside the axes
  double char_width_px = 6.5, char_height_px = 13;
  double marker_px = 12;  // the side of the square each point's marker covers
};

// Where one label goes: beside its point, `dx_chars` / `dy_chars` away (gnuplot's "offset char"),
// aligned `left`, `right` or `center`; `shown` false when every place collides.
struct LabelPlacement {
  bool shown = false;
  double dx_chars = 0, dy_chars = 0;
  std::string align = "left";
};

// Points in the area's fractions (0..1 from the left and the bottom), labels in their order.
// Each label takes the first of six places (right above, right below, left above, left below,
// above, below) that stays inside the area and clears every marker and every label placed before
// it, nor crosses a line of `vertical_lines` (x fractions: a GPU profile's memory); points are
// taken left to right.
std::vector<LabelPlacement> PlaceLabels(const std::vector<double>& x_fraction,
                                        const std::vector<double>& y_fraction,
                                        const std::vector<std::string>& labels,
                                        const LabelCanvas& canvas = {},
                                        const std::vector<double>& vertical_lines = {});

}  // namespace qlsweep::analysis
