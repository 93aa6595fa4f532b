// Causal attention (see attention.h): SDPA's kernels called directly when their state is kept.
#include "trainer/model/attention.h"

#include <ATen/SDPBackend.h>

#include <stdexcept>

namespace qlsweep::trainer {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

bool Grouped(const torch::Tensor& q, const torch::Tensor& k) { return q.size(1) != k.size(1); }

class KeptAttentionFunction : public torch::autograd::Function<KeptAttentionFunction> {
 public:
  // The kept state travels in saved_data as tensors and numbers (an autograd node's own storage).
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor q, torch::Tensor k,
                               torch::Tensor v, const KeptAttention& kept) {
    ctx->saved_data["kernel"] = static_cast<int64_t>(kept.kernel);
    ctx->saved_data["q"] = kept.q;
    ctx->saved_data["k"] = kept.k;
    ctx->saved_data["v"] = kept.v;
    ctx->saved_data["out"] = kept.out;
    ctx->saved_data["lse"] = kept.lse;
    ctx->saved_data["philox_seed"] = kept.philox_seed;
    ctx->saved_data["philox_offset"] = kept.philox_offset;
    ctx->saved_data["cum_seq_q"] = kept.cum_seq_q;
    ctx->saved_data["cum_seq_k"] = kept.cum_seq_k;
    ctx->saved_data["max_q"] = kept.max_q;
    ctx->saved_data["max_k"] = kept.max_k;
    return kept.out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_out) {
    auto tensor = [&](const char* name) { return ctx->saved_data[name].toTensor(); };
    const auto& grad = grad_out[0];
    const auto q = tensor("q"), k = tensor("k"), v = tensor("v"), out = tensor("out");
    const auto lse = tensor("lse");
    const auto max_q = ctx->saved_data["max_q"].toInt();
    const auto max_k = ctx->saved_data["max_k"].toInt();
    std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> grads;
    // Each call is the one autograd makes for the SDPA kernel (torch's derivatives.yaml).
    switch (static_cast<AttentionKernel>(ctx->saved_data["kernel"].toInt())) {
      case AttentionKernel::kCudnn:
        grads = at::_scaled_dot_product_cudnn_attention_backward(
            grad, q, k, v, out, lse, tensor("philox_seed"), tensor("philox_offset"),
            /*attn_bias=*/torch::Tensor(), tensor("cum_seq_q"), tensor("cum_seq_k"), max_q, max_k,
            /*dropout_p=*/0.0, /*is_causal=*/true);
        break;
      case AttentionKernel::kFlash:
        grads = at::_scaled_dot_product_flash_attention_backward(
            grad, q, k, v, out, lse, tensor("cum_seq_q"), tensor("cum_seq_k"), max_q, max_k,
            /*dropout_p=*/0.0, /*is_causal=*/true, tensor("philox_seed"), tensor("philox_offset"));
        break;
      case AttentionKernel::kCpuFlash:
        grads = at::_scaled_dot_product_flash_attention_for_cpu_backward(
            grad, q, k, v, out, lse, /*dropout_p=*/0.0, /*is_causal=*/true);
        break;
    }
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
  const auto choice = static_cast<at::SDPBackend>(at::_fused_sdp_choice(
      q, k, v, /*attn_mask=*/{}, /*dropout_p=*/0.0, /*is_causal=*/true, /*scale=*/std::nullopt,
      /*enable_gqa=*/Grouped(q, k)));
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
      auto r = at::_scaled_dot_product_cudnn_attention(q, k, v, /*attn_bias=*/std::nullopt,
                                                       /*compute_log_sumexp=*/true,
                                                       /*dropout_p=*/0.0, /*is_causal=*/true);
      kept.out = std::get<0>(r);
      kept.lse = std::get<1>(r);
      kept.cum_seq_q = std::get<2>(r);
      kept.cum_seq_k = std::get<3>(r);
      kept.max_q = std::get<4>(r).expect_int();
      kept.max_k = std::get<5>(r).expect_int();
      kept.philox_seed = std::get<6>(r);
      kept.philox_offset = std::get<7>(r);
      break;
    }
    case AttentionKernel::kFlash: {
      auto r = at::_scaled_dot_product_flash_attention(q, k, v, /*dropout_p=*/0.0,
                                                       /*is_causal=*/true);
      kept.out = std::get<0>(r);
      kept.lse = std::get<1>(r);
      kept.cum_seq_q = std::get<2>(r);
      kept.cum_seq_k = std::get<3>(r);
      kept.max_q = std::get<4>(r).expect_int();
      kept.max_k = std::get<5>(r).expect_int();
      kept.philox_seed = std::get<6>(r);
      kept.philox_offset = std::get<7>(r);
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
                                const torch::Tensor& v, const KeptAttention& kept) {
  if (!kept.out.defined()) throw std::logic_error("AttentionFromKept: nothing was kept");
  return KeptAttentionFunction::apply(q, k, v, kept);
}

}  // namespace qlsweep::trainer
