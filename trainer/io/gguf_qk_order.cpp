// Reshape-and-swap implementation of llama.cpp's q/k row permutation and its inverse.
#include "trainer/io/gguf_qk_order.h"

#include <stdexcept>
#include <string>

namespace qlsweep::trainer {
namespace {

void CheckRows(const torch::Tensor& w, int64_t n_head) {
  if (w.dim() != 2 || n_head <= 0 || w.size(0) % (2 * n_head) != 0) {
    throw std::invalid_argument("q/k permutation: weight of shape " + std::to_string(w.size(0)) +
                                "x" + std::to_string(w.dim() == 2 ? w.size(1) : -1) +
                                " cannot be split into " + std::to_string(n_head) +
                                " heads of two rotary halves");
  }
}

}  // namespace

torch::Tensor PermuteQkToGguf(const torch::Tensor& w, int64_t n_head) {
  CheckRows(w, n_head);
  const int64_t rows = w.size(0), cols = w.size(1);
  return w.reshape({n_head, 2, rows / n_head / 2, cols}).transpose(1, 2).reshape({rows, cols});
}

torch::Tensor UnpermuteQkFromGguf(const torch::Tensor& w, int64_t n_head) {
  CheckRows(w, n_head);
  const int64_t rows = w.size(0), cols = w.size(1);
  return w.reshape({n_head, rows / n_head / 2, 2, cols})
      .transpose(1, 2)
      .reshape({rows, cols})
      .contiguous();
}

}  // namespace qlsweep::trainer
