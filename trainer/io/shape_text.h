// ShapeText: a tensor shape as "[4096, 11008]", for error messages.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace qlsweep::trainer {

inline std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

}  // namespace qlsweep::trainer
