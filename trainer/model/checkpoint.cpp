// Reentrant activation checkpointing as a custom autograd function (torch.utils.checkpoint's way).
#include "trainer/model/checkpoint.h"

#include <ATen/core/Generator.h>

#include <optional>
#include <vector>

namespace qlsweep::trainer {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

at::Generator DefaultGenerator(const torch::Device& device) {
  return at::globalContext().defaultGenerator(device);
}

// The small part of a kept attention (everything but q, k, v and out) into and out of an autograd
// node's saved_data.
void SaveKeptBookkeeping(AutogradContext* ctx, const KeptAttention& kept) {
  ctx->saved_data["kernel"] = static_cast<int64_t>(kept.kernel);
  ctx->saved_data["lse"] = kept.lse;
  ctx->saved_data["philox_seed"] = kept.philox_seed;
  ctx->saved_data["philox_offset"] = kept.philox_offset;
  ctx->saved_data["cum_seq_q"] = kept.cum_seq_q;
  ctx->saved_data["cum_seq_k"] = kept.cum_seq_k;
  ctx->saved_data["max_q"] = kept.max_q;
  ctx->saved_data["max_k"] = kept.max_k;
}

// The kept attention's output and bookkeeping from saved_data; q, k, v are the caller's to set.
KeptAttention LoadKept(AutogradContext* ctx, const torch::Tensor& out) {
  KeptAttention kept;
  kept.kernel = static_cast<AttentionKernel>(ctx->saved_data["kernel"].toInt());
  kept.out = out;
  kept.lse = ctx->saved_data["lse"].toTensor();
  kept.philox_seed = ctx->saved_data["philox_seed"].toTensor();
  kept.philox_offset = ctx->saved_data["philox_offset"].toTensor();
  kept.cum_seq_q = ctx->saved_data["cum_seq_q"].toTensor();
  kept.cum_seq_k = ctx->saved_data["cum_seq_k"].toTensor();
  kept.max_q = ctx->saved_data["max_q"].toInt();
  kept.max_k = ctx->saved_data["max_k"].toInt();
  return kept;
}

class CheckpointFunction : public torch::autograd::Function<CheckpointFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor x, torch::Tensor cos,
                               torch::Tensor sin, int64_t layer_address, int64_t offload_address,
                               bool keep_attention) {
    auto gen = DefaultGenerator(x.device());
    ctx->saved_data["rng"] = gen.get_state();
    ctx->saved_data["layer"] = layer_address;
    ctx->saved_data["offload"] = offload_address;
    auto* layer = reinterpret_cast<DecoderLayerImpl*>(layer_address);
    auto* offload = reinterpret_cast<ActivationOffload*>(offload_address);
    torch::NoGradGuard no_grad;
    if (!keep_attention) {
      ctx->saved_data["kept"] = false;
      if (offload != nullptr) {  // parked first, so the copy overlaps this layer's compute
        ctx->saved_data["slot"] = offload->Park(x);
        ctx->save_for_backward({cos, sin});
      } else {
        ctx->save_for_backward({x, cos, sin});
      }
      return layer->forward(x, cos, sin);
    }
    KeptAttention kept;
    auto y = layer->ForwardKeepingAttention(x, cos, sin, kept);
    const bool have = kept.out.defined();  // else the kernel torch picked cannot be kept
    ctx->saved_data["kept"] = have;
    if (have) SaveKeptBookkeeping(ctx, kept);
    ctx->save_for_backward({cos, sin});
    if (offload == nullptr) {
      std::vector<torch::Tensor> big = {x};
      if (have) big.insert(big.end(), {kept.out, kept.q, kept.k, kept.v});
      ctx->saved_data["big"] = c10::List<torch::Tensor>(big);
      return y;
    }
    // Two slots: q, k, v first, so that backward fetches them after the input and the output
    // (fetches run in falling slot order). The recompute needs x and the output at once; q, k and
    // v only at attention's backward, after the MLP's, and their copy back starts when the input's
    // is handed over, so the layer before's tensors are not on the device at this layer's MLP
    // backward, where the step's memory peaks.
    if (have) ctx->saved_data["attention_slot"] = offload->Park({kept.q, kept.k, kept.v});
    ctx->saved_data["slot"] = offload->Park(have ? std::vector<torch::Tensor>{x, kept.out}
                                                 : std::vector<torch::Tensor>{x});
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_out) {
    auto saved = ctx->get_saved_variables();
    auto* offload = reinterpret_cast<ActivationOffload*>(ctx->saved_data["offload"].toInt());
    std::vector<torch::Tensor> big;  // the layer input, then any kept output (and q, k, v)
    if (offload != nullptr) {
      big = offload->FetchAll(ctx->saved_data["slot"].toInt());
    } else if (ctx->saved_data.count("big") != 0) {
      big = ctx->saved_data["big"].toTensorVector();
      ctx->saved_data.erase("big");
    } else {
      big = {saved[0]};
      saved.erase(saved.begin());
    }
    std::optional<KeptAttention> kept;  // lives until the layer's backward below is done
    if (ctx->saved_data["kept"].toBool()) {
      kept = LoadKept(ctx, big.at(1));
      if (offload != nullptr) {  // q, k, v come back when attention's backward asks for them
        const int64_t slot = ctx->saved_data["attention_slot"].toInt();
        kept->load = [offload, slot](KeptAttention& k) {
          auto qkv = offload->FetchAll(slot);
          k.q = qkv.at(0);
          k.k = qkv.at(1);
          k.v = qkv.at(2);
        };
      } else {
        kept->q = big.at(2);
        kept->k = big.at(3);
        kept->v = big.at(4);
      }
    }
    auto x = big[0].detach().requires_grad_(true);
    big.clear();
    auto* layer = reinterpret_cast<DecoderLayerImpl*>(ctx->saved_data["layer"].toInt());
    const GateScope present(layer->base_gate);  // the base stays for the recompute and its backward
    auto gen = DefaultGenerator(x.device());
    auto current = gen.get_state();
    gen.set_state(ctx->saved_data["rng"].toTensor());
    torch::Tensor y;
    {
      torch::AutoGradMode grad_on(true);
      // only its graph is used
      y = layer->RecomputeForBackward(x, saved[0], saved[1], kept ? &*kept : nullptr);
    }
    gen.set_state(current);
    torch::autograd::backward({y}, {grad_out[0]});
    return {x.grad(),        torch::Tensor(), torch::Tensor(),
            torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor CheckpointedLayer(DecoderLayerImpl& layer, const torch::Tensor& x,
                                const torch::Tensor& cos, const torch::Tensor& sin,
                                ActivationOffload* offload, bool keep_attention) {
  return CheckpointFunction::apply(x, cos, sin, reinterpret_cast<int64_t>(&layer),
                                   reinterpret_cast<int64_t>(offload), keep_attention);
}

}  // namespace qlsweep::trainer
