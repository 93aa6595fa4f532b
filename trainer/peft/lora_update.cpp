// LoraUpdateWithDropout (see lora_update.h): forward without autograd, backward by hand.
#include "trainer/peft/lora_update.h"

namespace qlsweep::trainer {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// [..., n] -> [rows, n]
torch::Tensor Rows(const torch::Tensor& t) { return t.reshape({-1, t.size(-1)}); }

class LoraDropoutFunction : public torch::autograd::Function<LoraDropoutFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor x, torch::Tensor a,
                               torch::Tensor b, double p, double scaling) {
    torch::NoGradGuard no_grad;
    auto [h, mask] = at::native_dropout(x, p, /*train=*/true);
    auto t = torch::nn::functional::linear(h, a);  // [..., R]
    ctx->save_for_backward({x, mask, a, b, t});
    ctx->saved_data["dropout"] = p;
    ctx->saved_data["scaling"] = scaling;
    return torch::nn::functional::linear(t, b) * scaling;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_out) {
    auto saved = ctx->get_saved_variables();
    const auto &x = saved[0], mask = saved[1], a = saved[2], b = saved[3], t = saved[4];
    const double keep_scale = 1.0 / (1.0 - ctx->saved_data["dropout"].toDouble());
    // The same products, in the same order, as autograd takes through the plain expression.
    auto g = grad_out[0] * ctx->saved_data["scaling"].toDouble();  // [..., out]
    auto grad_b = Rows(g).t().mm(Rows(t));                         // [out, R]
    auto grad_t = g.matmul(b);                                     // [..., R]
    auto h = at::native_dropout_backward(x, mask, keep_scale);     // x * mask / (1 - p)
    auto grad_a = Rows(grad_t).t().mm(Rows(h));                    // [R, in]
    torch::Tensor grad_x;
    if (ctx->needs_input_grad(0)) {
      grad_x = at::native_dropout_backward(grad_t.matmul(a), mask, keep_scale);
    }
    return {grad_x, grad_a, grad_b, torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor LoraUpdateWithDropout(const torch::Tensor& x, const torch::Tensor& a,
                                    const torch::Tensor& b, double p, double scaling) {
  return LoraDropoutFunction::apply(x, a, b, p, scaling);
}

}  // namespace qlsweep::trainer
