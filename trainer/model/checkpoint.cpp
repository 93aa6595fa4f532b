// Reentrant activation checkpointing as a custom autograd function (torch.utils.checkpoint's way).
#include "trainer/model/checkpoint.h"

#include <ATen/core/Generator.h>

namespace qlsweep::trainer {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

at::Generator DefaultGenerator(const torch::Device& device) {
  return at::globalContext().defaultGenerator(device);
}

class CheckpointFunction : public torch::autograd::Function<CheckpointFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor x, torch::Tensor cos,
                               torch::Tensor sin, int64_t layer_address, int64_t offload_address) {
    auto gen = DefaultGenerator(x.device());
    ctx->saved_data["rng"] = gen.get_state();
    ctx->saved_data["layer"] = layer_address;
    ctx->saved_data["offload"] = offload_address;
    if (offload_address != 0) {  // parked first, so the copy overlaps this layer's compute
      ctx->saved_data["slot"] = reinterpret_cast<ActivationOffload*>(offload_address)->Park(x);
      ctx->save_for_backward({cos, sin});
    } else {
      ctx->save_for_backward({x, cos, sin});
    }
    torch::NoGradGuard no_grad;
    auto* layer = reinterpret_cast<DecoderLayerImpl*>(layer_address);
    return layer->forward(x, cos, sin);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_out) {
    auto saved = ctx->get_saved_variables();
    const auto offload_address = ctx->saved_data["offload"].toInt();
    if (offload_address != 0) {
      auto* offload = reinterpret_cast<ActivationOffload*>(offload_address);
      saved.insert(saved.begin(), offload->Fetch(ctx->saved_data["slot"].toInt()));
    }
    auto x = saved[0].detach().requires_grad_(true);
    auto* layer = reinterpret_cast<DecoderLayerImpl*>(ctx->saved_data["layer"].toInt());
    const GateScope present(layer->base_gate);  // the base stays for the recompute and its backward
    auto gen = DefaultGenerator(x.device());
    auto current = gen.get_state();
    gen.set_state(ctx->saved_data["rng"].toTensor());
    torch::Tensor y;
    {
      torch::AutoGradMode grad_on(true);
      y = layer->RecomputeForBackward(x, saved[1], saved[2]);  // only its graph is used
    }
    gen.set_state(current);
    torch::autograd::backward({y}, {grad_out[0]});
    return {x.grad(), torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor CheckpointedLayer(DecoderLayerImpl& layer, const torch::Tensor& x,
                                const torch::Tensor& cos, const torch::Tensor& sin,
                                ActivationOffload* offload) {
  return CheckpointFunction::apply(x, cos, sin, reinterpret_cast<int64_t>(&layer),
                                   reinterpret_cast<int64_t>(offload));
}

}  // namespace qlsweep::trainer
