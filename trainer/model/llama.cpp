// Llama decoder forward pass, following HF transformers' LlamaModel op for op.
#include "trainer/model/llama.h"

#include "trainer/model/rope.h"
#include "trainer/train/checkpoint.h"

namespace qlsweep::trainer {
namespace {

LoraLinear MakeProjection(const std::string& name, int64_t in, int64_t out, const LoraSpec& lora,
                          const torch::TensorOptions& opts) {
  const int64_t r = lora.targets.count(name) ? lora.r : 0;
  return LoraLinear(in, out, r, lora.alpha, lora.dropout, opts);
}

torch::Tensor FrozenOnes(int64_t n, const torch::TensorOptions& opts) {
  return torch::ones({n}, opts);
}

}  // namespace

torch::Tensor RmsNorm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  auto x32 = x.to(torch::kFloat32);
  auto normed = x32 * torch::rsqrt(x32.pow(2).mean(-1, /*keepdim=*/true) + eps);
  return weight * normed.to(x.dtype());
}

DecoderLayerImpl::DecoderLayerImpl(const ModelShape& s, const LoraSpec& lora,
                                   const torch::TensorOptions& opts)
    : q(MakeProjection("q", s.hidden, s.heads * s.head_dim(), lora, opts)),
      k(MakeProjection("k", s.hidden, s.kv_heads * s.head_dim(), lora, opts)),
      v(MakeProjection("v", s.hidden, s.kv_heads * s.head_dim(), lora, opts)),
      o(MakeProjection("o", s.heads * s.head_dim(), s.hidden, lora, opts)),
      gate(MakeProjection("gate", s.hidden, s.intermediate, lora, opts)),
      up(MakeProjection("up", s.hidden, s.intermediate, lora, opts)),
      down(MakeProjection("down", s.intermediate, s.hidden, lora, opts)),
      shape_(s) {
  register_module("q_proj", q);
  register_module("k_proj", k);
  register_module("v_proj", v);
  register_module("o_proj", o);
  register_module("gate_proj", gate);
  register_module("up_proj", up);
  register_module("down_proj", down);
  input_norm = register_buffer("input_layernorm", FrozenOnes(s.hidden, opts));
  post_norm = register_buffer("post_attention_layernorm", FrozenOnes(s.hidden, opts));
}

torch::Tensor DecoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& cos,
                                        const torch::Tensor& sin) {
  const int64_t B = x.size(0), T = x.size(1), hd = shape_.head_dim();
  auto h = RmsNorm(x, input_norm, shape_.rms_eps);
  auto qh = q(h).view({B, T, shape_.heads, hd}).transpose(1, 2);     // [B, H, T, hd]
  auto kh = k(h).view({B, T, shape_.kv_heads, hd}).transpose(1, 2);  // [B, Hkv, T, hd]
  auto vh = v(h).view({B, T, shape_.kv_heads, hd}).transpose(1, 2);  // [B, Hkv, T, hd]
  qh = ApplyRope(qh, cos, sin);
  kh = ApplyRope(kh, cos, sin);
  auto attn = at::scaled_dot_product_attention(qh, kh, vh, /*attn_mask=*/{}, /*dropout_p=*/0.0,
                                               /*is_causal=*/true, /*scale=*/std::nullopt,
                                               /*enable_gqa=*/shape_.kv_heads != shape_.heads);
  auto hidden = x + o(attn.transpose(1, 2).reshape({B, T, shape_.heads * hd}));
  auto m = RmsNorm(hidden, post_norm, shape_.rms_eps);
  return hidden + down(torch::silu(gate(m)) * up(m));
}

LlamaModelImpl::LlamaModelImpl(uint64_t seed, const ModelShape& s, const LoraSpec& lora,
                               const torch::TensorOptions& opts)
    : shape_(s) {
  torch::NoGradGuard no_grad;
  embed = register_buffer("embed_tokens", torch::empty({s.vocab, s.hidden}, opts));
  final_norm = register_buffer("norm", FrozenOnes(s.hidden, opts));
  if (!s.tie_embeddings) {
    lm_head = register_buffer("lm_head", torch::empty({s.vocab, s.hidden}, opts));
  }
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < s.layers; ++i) layers->push_back(DecoderLayer(s, lora, opts));
  // The projections drew their adapters while being built; re-draw every frozen matrix in one
  // pass, then every adapter, so the base never depends on the LoRA settings.
  torch::manual_seed(seed);
  for (auto& buffer : buffers()) {
    if (buffer.dim() == 2) buffer.normal_(0.0, 0.02);
  }
  torch::manual_seed(seed + 1);
  for (auto& module : modules(/*include_self=*/false)) {
    if (auto* linear = module->as<LoraLinearImpl>()) linear->ResetAdapter();
  }
}

torch::Tensor LlamaModelImpl::forward(const torch::Tensor& tokens) {
  const int64_t T = tokens.size(1);
  auto [cos, sin] = RopeTables(T, shape_.head_dim(), shape_.rope_theta, tokens.device());
  auto x = torch::embedding(embed, tokens);  // [B, T, D]
  const bool checkpoint = checkpointing_ && is_training() && torch::GradMode::is_enabled();
  if (checkpoint) x.requires_grad_(true);
  for (auto& module : *layers) {
    auto& layer = *module->as<DecoderLayerImpl>();
    x = checkpoint ? CheckpointedLayer(layer, x, cos, sin) : layer.forward(x, cos, sin);
  }
  return RmsNorm(x, final_norm, shape_.rms_eps);
}

}  // namespace qlsweep::trainer
