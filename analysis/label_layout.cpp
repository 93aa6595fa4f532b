// Greedy label placement: fixed candidate offsets, first fit wins, in pixel space.
#include "analysis/label_layout.h"

#include <algorithm>
#include <numeric>

namespace qlsweep::analysis {
namespace {

struct Box {
  double left, bottom, right, top;
  bool Overlaps(const Box& o) const {
    return left < o.right && o.left < right && bottom < o.top && o.bottom < top;
  }
};

struct Candidate {
  double dx, dy;
  const char* align;
};

constexpr Candidate kCandidates[] = {{1.4, 0.6, "left"},   {1.4, -0.6, "left"},
                                     {-1.4, 0.6, "right"}, {-1.4, -0.6, "right"},
                                     {0, 1.3, "center"},   {0, -1.3, "center"}};

}  // namespace

std::vector<LabelPlacement> PlaceLabels(const std::vector<double>& x_fraction,
                                        const std::vector<double>& y_fraction,
                                        const std::vector<std::string>& labels,
                                        const LabelCanvas& canvas,
                                        const std::vector<double>& vertical_lines) {
  const size_t n = std::min({x_fraction.size(), y_fraction.size(), labels.size()});
  std::vector<Box> taken;
  const double half_marker = canvas.marker_px / 2;
  for (size_t i = 0; i < n; ++i) {
    const double px = x_fraction[i] * canvas.width_px, py = y_fraction[i] * canvas.height_px;
    taken.push_back({px - half_marker, py - half_marker, px + half_marker, py + half_marker});
  }
  for (double x : vertical_lines) {
    const double px = x * canvas.width_px;
    taken.push_back({px - 2, 0, px + 2, canvas.height_px});
  }
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return x_fraction[a] < x_fraction[b]; });
  std::vector<LabelPlacement> out(n);
  for (size_t i : order) {
    const double px = x_fraction[i] * canvas.width_px, py = y_fraction[i] * canvas.height_px;
    const double w = static_cast<double>(labels[i].size()) * canvas.char_width_px;
    const double h = canvas.char_height_px;
    for (const auto& c : kCandidates) {
      const double ax = px + c.dx * canvas.char_width_px, ay = py + c.dy * canvas.char_height_px;
      const std::string align = c.align;
      const double left = align == "left" ? ax : align == "right" ? ax - w : ax - w / 2;
      const Box box{left, ay - h / 2, left + w, ay + h / 2};
      if (box.left < 0 || box.right > canvas.width_px || box.bottom < 0 ||
          box.top > canvas.height_px) {
        continue;
      }
      if (std::any_of(taken.begin(), taken.end(), [&](const Box& t) { return t.Overlaps(box); })) {
        continue;
      }
      taken.push_back(box);
      out[i] = {true, c.dx, c.dy, align};
      break;
    }
  }
  return out;
}

}  // namespace qlsweep::analysis
