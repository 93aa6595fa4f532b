// The custom autograd function behind Linear4bit.
#include "trainer/quant/linear_4bit.h"

namespace qlsweep::trainer {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

class Linear4bitFunction : public torch::autograd::Function<Linear4bitFunction> {
 public:
  // The weight travels as an address: it outlives the graph (owned by the module).
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor x, int64_t weight_address) {
    ctx->saved_data["w"] = weight_address;
    const auto& w = *reinterpret_cast<const FourBitWeight*>(weight_address);
    return torch::matmul(x, Dequantize4bit(w, x.scalar_type()).t());
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_out) {
    const auto& w = *reinterpret_cast<const FourBitWeight*>(ctx->saved_data["w"].toInt());
    auto grad = grad_out[0];
    return {torch::matmul(grad, Dequantize4bit(w, grad.scalar_type())), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor Linear4bit(const torch::Tensor& x, const FourBitWeight& w) {
  return Linear4bitFunction::apply(x, reinterpret_cast<int64_t>(&w));
}

}  // namespace qlsweep::trainer
