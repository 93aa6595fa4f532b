// LoraProjection (see lora_projection.h): forward without autograd, backward by hand.
#include "trainer/peft/lora_projection.h"

namespace qlsweep::trainer {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// [..., n] -> [rows, n]; a view (GEMM outputs are contiguous), so that addmm_ writes through.
torch::Tensor Rows(const torch::Tensor& t) { return t.view({-1, t.size(-1)}); }

class LoraProjectionFunction : public torch::autograd::Function<LoraProjectionFunction> {
 public:
  // The base travels as an address: it outlives the graph (owned by the module).
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor x, torch::Tensor a,
                               torch::Tensor b, int64_t base_address, double p, double scaling,
                               bool output_needed) {
    const auto& base = *reinterpret_cast<const FrozenMatrix*>(base_address);
    torch::Tensor mask;
    torch::Tensor h = x;
    if (p > 0.0) std::tie(h, mask) = at::native_dropout(x, p, /*train=*/true);
    auto t = torch::matmul(h, a.t());  // [..., R]
    torch::Tensor y;                   // [..., out]; base.Get: dense, or dequantized afresh
    if (output_needed) {
      y = torch::matmul(x, base.Get(x.scalar_type()).t());
      Rows(y).addmm_(Rows(t), b.t(), /*beta=*/1.0, /*alpha=*/scaling);
    } else {
      auto out_shape = x.sizes().vec();
      out_shape.back() = b.size(0);
      y = torch::empty(out_shape, x.options());
    }
    ctx->saved_data["base"] = base_address;
    ctx->saved_data["dropout"] = p;
    ctx->saved_data["scaling"] = scaling;
    ctx->save_for_backward({x, mask, a, b, t});
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_out) {
    auto saved = ctx->get_saved_variables();
    const auto &x = saved[0], mask = saved[1], a = saved[2], b = saved[3], t = saved[4];
    const auto& base = *reinterpret_cast<const FrozenMatrix*>(ctx->saved_data["base"].toInt());
    const double p = ctx->saved_data["dropout"].toDouble();
    const double scaling = ctx->saved_data["scaling"].toDouble();
    const auto& g = grad_out[0];                                       // [..., out]
    auto g_t = torch::matmul(g, b).mul_(scaling);                      // [..., R]: scaling * dL/dT
    auto grad_b = Rows(g.contiguous()).t().mm(Rows(t)).mul_(scaling);  // [out, R]
    auto h = p > 0.0 ? at::native_dropout_backward(x, mask, 1.0 / (1.0 - p)) : x;
    auto grad_a = Rows(g_t).t().mm(h.reshape({-1, h.size(-1)}));  // [R, in]
    torch::Tensor grad_x;
    if (ctx->needs_input_grad(0)) {
      grad_x = torch::matmul(g, base.Get(g.scalar_type()));  // [..., in]
      if (p > 0.0) {
        grad_x.add_(at::native_dropout_backward(torch::matmul(g_t, a), mask, 1.0 / (1.0 - p)));
      } else {
        Rows(grad_x).addmm_(Rows(g_t), a);
      }
    }
    return {grad_x,          grad_a,          grad_b,         torch::Tensor(),
            torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor LoraProjection(const torch::Tensor& x, const FrozenMatrix& base,
                             const torch::Tensor& a, const torch::Tensor& b, double p,
                             double scaling, bool output_needed) {
  return LoraProjectionFunction::apply(x, a, b, reinterpret_cast<int64_t>(&base), p, scaling,
                                       output_needed);
}

}  // namespace qlsweep::trainer
