// Causal attention (see attention.h): SDPA's kernels called directly when their state is kept.
#include "trainer/model/attention.h"

#include <ATen/SDPBackend.h>

#include <stdexcept>
#include <tuple>

namespace qlsweep::trainer {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

bool Grouped(const torch::Tensor& q, const torch::Tensor& k) { return q.size(1) != k.size(1); }

// What the CUDA kernels' forwards return (cuDNN's and flash's alike): output, log-sum-exp,
// cumulative sequence lengths, maximal lengths, philox seed and offset, debug mask.
using FusedResult =
    std::tuple<torch::Tensor, torch::Tensor, torch::Tensor, torch::Tensor, c10::SymInt, c10::SymInt,
               torch::Tensor, torch::Tensor, torch::Tensor>;

void KeepFused(const FusedResult& r, KeptAttention& kept) {
  kept.out = std::get<0>(r);
  kept.lse = std::get<1>(r);
  kept.cum_seq_q = std::get<2>(r);
  kept.cum_seq_k = std::get<3>(r);
  kept.max_q = std::get<4>(r).expect_int();
  kept.max_k = std::get<5>(r).expect_int();
  kept.philox_seed = std::get<6>(r);
  kept.philox_offset = std::get<7>(r);
}

class KeptAttentionFunction : public torch::autograd::Function<KeptAttentionFunction> {
 public:
  // The kept state travels as an address (its owner outlives the backward, attention.h).
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor q, torch::Tensor k,
                               torch::Tensor v, int64_t kept_address) {
    ctx->saved_data["kept"] = kept_address;
    return reinterpret_cast<KeptAttention*>(kept_address)->out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_out) {
    auto& kept = *reinterpret_cast<KeptAttention*>(ctx->saved_data["kept"].toInt());
    if (!kept.q.defined() && kept.load) kept.load(kept);
    const auto& grad = grad_out[0];
    std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> grads;
    // Each call is the one autograd makes for the SDPA kernel (torch's derivatives.yaml).
    switch (kept.kernel) {
      case AttentionKernel::kCudnn:
        grads = at::_scaled_dot_product_cudnn_attention_backward(
            grad, kept.q, kept.k, kept.v, kept.out, kept.lse, kept.philox_seed, kept.philox_offset,
            /*attn_bias=*/torch::Tensor(), kept.cum_seq_q, kept.cum_seq_k, kept.max_q, kept.max_k,
            /*dropout_p=*/0.0, /*is_causal=*/true);
        break;
      case AttentionKernel::kFlash:
        grads = at::_scaled_dot_product_flash_attention_backward(
            grad, kept.q, kept.k, kept.v, kept.out, kept.lse, kept.cum_seq_q, kept.cum_seq_k,
            kept.max_q, kept.max_k, /*dropout_p=*/0.0, /*is_causal=*/true, kept.philox_seed,
            kept.philox_offset);
        break;
      case AttentionKernel::kCpuFlash:
        grads = at::_scaled_dot_product_flash_attention_for_cpu_backward(
            grad, kept.q, kept.k, kept.v, kept.out, kept.lse, /*dropout_p=*/0.0,
            /*is_causal=*/true);
        break;
    }
    // Done with them: the device memory goes back before the rest of the layer's backward.
    kept.q = kept.k = kept.v = kept.out = kept.lse = torch::Tensor();
    return {std::get<0>(grads), std::get<1>(grads), std::get<2>(grads), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor CausalAttention(const torch::Tensor& q, const torch::Tensor& k,
                              const torch::Tensor& v) {
  return at::scaled_dot_product_attention(q, k, v, /*attn_mask=*/{}, /*dropout_p=*/0.0,
                                          /*is_causal=*/true, /*scale=*/std::nullopt,
                                          /*enable_gqa=*/Grouped(q, k));
}

std::optional<AttentionKernel> KeepableKernel(const torch::Tensor& q, const torch::Tensor& k,
                                              const torch::Tensor& v) {
  // The choice for inputs that require grad under grad mode, as a checkpoint's recompute has
  // them: the kernel whose backward the full recompute would run (SDPA's checks differ for
  // training, e.g. the log-sum-exp it must return).
  const torch::AutoGradMode grad_on(true);
  const auto leaf = [](const torch::Tensor& t) { return t.detach().requires_grad_(true); };
  const auto choice = static_cast<at::SDPBackend>(at::_fused_sdp_choice(
      leaf(q), leaf(k), leaf(v), /*attn_mask=*/{}, /*dropout_p=*/0.0, /*is_causal=*/true,
      /*scale=*/std::nullopt, /*enable_gqa=*/Grouped(q, k)));
  if (choice == at::SDPBackend::cudnn_attention) return AttentionKernel::kCudnn;
  if (choice != at::SDPBackend::flash_attention) return std::nullopt;
  if (!q.is_cuda()) return AttentionKernel::kCpuFlash;
  // SDPA pads a head dim that is not a multiple of 8 around the flash kernel; not done here.
  if (q.size(-1) % 8 != 0) return std::nullopt;
  return AttentionKernel::kFlash;
}

torch::Tensor CausalAttentionKeeping(const torch::Tensor& q, const torch::Tensor& k,
                                     const torch::Tensor& v, AttentionKernel kernel,
                                     KeptAttention& kept) {
  torch::NoGradGuard no_grad;
  kept = KeptAttention{};
  kept.kernel = kernel;
  kept.q = q;
  kept.k = k;
  kept.v = v;
  kept.max_q = q.size(2);
  kept.max_k = k.size(2);
  // The calls SDPA makes for these kernels (aten/src/ATen/native/transformers/attention.cpp),
  // with the log-sum-exp asked for as a forward that requires grad asks for it.
  switch (kernel) {
    case AttentionKernel::kCudnn: {
      KeepFused(at::_scaled_dot_product_cudnn_attention(q, k, v, /*attn_bias=*/std::nullopt,
                                                        /*compute_log_sumexp=*/true,
                                                        /*dropout_p=*/0.0, /*is_causal=*/true),
                kept);
      break;
    }
    case AttentionKernel::kFlash: {
      KeepFused(at::_scaled_dot_product_flash_attention(q, k, v, /*dropout_p=*/0.0,
                                                        /*is_causal=*/true),
                kept);
      break;
    }
    case AttentionKernel::kCpuFlash: {
      auto r = at::_scaled_dot_product_flash_attention_for_cpu(q, k, v, /*dropout_p=*/0.0,
                                                               /*is_causal=*/true);
      kept.out = std::get<0>(r);
      kept.lse = std::get<1>(r);
      break;
    }
  }
  return kept.out;
}

torch::Tensor AttentionFromKept(const torch::Tensor& q, const torch::Tensor& k,
                                const torch::Tensor& v, KeptAttention& kept) {
  if (!kept.out.defined()) throw std::logic_error("AttentionFromKept: nothing was kept");
  return KeptAttentionFunction::apply(q, k, v, reinterpret_cast<int64_t>(&kept));
}

}  // namespace qlsweep::trainer
