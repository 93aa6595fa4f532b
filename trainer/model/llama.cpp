// Llama decoder forward pass, following HF transformers' LlamaModel op for op.
#include "trainer/model/llama.h"

#include <cmath>
#include <stdexcept>

#include "trainer/model/checkpoint.h"
#include "trainer/model/fused_ops.h"
#include "trainer/model/rope.h"

namespace qlsweep::trainer {
namespace {

LoraLinear MakeProjection(const std::string& name, int64_t in, int64_t out, const LoraSpec& lora,
                          const torch::TensorOptions& opts) {
  const int64_t r = lora.targets.count(name) ? lora.r : 0;
  return LoraLinear(in, out, r, lora.alpha, lora.dropout, opts, /*random_base=*/false);
}

std::string LayerName(int64_t i, const std::string& rest) {
  return "model.layers." + std::to_string(i) + "." + rest;
}

// "model.layers.<i>.self_attn.q_proj" or "model.layers.<i>.mlp.gate_proj".
std::string ProjectionPath(int64_t i, const std::string& proj) {
  const bool mlp = proj == "gate_proj" || proj == "up_proj" || proj == "down_proj";
  return LayerName(i, (mlp ? "mlp." : "self_attn.") + proj);
}

}  // namespace

torch::Tensor RmsNorm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  if (!weight.requires_grad() && weight.scalar_type() == x.scalar_type() &&
      FusedKernelServes("rmsnorm", x)) {
    return FusedRmsNorm(x, weight, eps);
  }
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
  for (auto& [name, proj] : projections()) {
    register_module(name, proj);
    proj->set_fused(FusedOpEnabled("lora"));
  }
  input_norm = torch::ones({s.hidden}, opts);
  post_norm = torch::ones({s.hidden}, opts);
}

std::vector<std::pair<std::string, LoraLinear>> DecoderLayerImpl::projections() const {
  return {{"q_proj", q},       {"k_proj", k},   {"v_proj", v},      {"o_proj", o},
          {"gate_proj", gate}, {"up_proj", up}, {"down_proj", down}};
}

std::vector<torch::Tensor*> DecoderLayerImpl::FrozenTensors() {
  std::vector<torch::Tensor*> out;
  for (auto& [name, proj] : projections()) {
    for (auto* t : proj->mutable_base().Tensors()) out.push_back(t);
  }
  out.push_back(&input_norm);
  out.push_back(&post_norm);
  return out;
}

torch::Tensor DecoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& cos,
                                        const torch::Tensor& sin) {
  return Run(x, cos, sin, /*output_needed=*/true, nullptr, nullptr);
}

torch::Tensor DecoderLayerImpl::RecomputeForBackward(const torch::Tensor& x,
                                                     const torch::Tensor& cos,
                                                     const torch::Tensor& sin,
                                                     KeptAttention* kept) {
  return Run(x, cos, sin, /*output_needed=*/false, nullptr, kept);
}

torch::Tensor DecoderLayerImpl::ForwardKeepingAttention(const torch::Tensor& x,
                                                        const torch::Tensor& cos,
                                                        const torch::Tensor& sin,
                                                        KeptAttention& kept) {
  torch::NoGradGuard no_grad;
  return Run(x, cos, sin, /*output_needed=*/true, &kept, nullptr);
}

torch::Tensor DecoderLayerImpl::Run(const torch::Tensor& x, const torch::Tensor& cos,
                                    const torch::Tensor& sin, bool output_needed,
                                    KeptAttention* keep, KeptAttention* from) {
  const GateScope present(base_gate);
  const int64_t B = x.size(0), T = x.size(1), hd = shape_.head_dim();
  auto h = RmsNorm(x, input_norm, shape_.rms_eps);
  // With attention kept, q, k and v only carry gradients back (their values are not read).
  const auto project = [&](LoraLinear& p) { return from ? p->GradientsOnly(h) : p(h); };
  auto qt = project(q).view({B, T, shape_.heads, hd});                     // [B, T, H, hd]
  auto kt = project(k).view({B, T, shape_.kv_heads, hd});                  // [B, T, Hkv, hd]
  auto vh = project(v).view({B, T, shape_.kv_heads, hd}).transpose(1, 2);  // [B, Hkv, T, hd]
  torch::Tensor qh, kh;                                                    // [B, H(kv), T, hd]
  if (FusedKernelServes("rope", qt)) {
    qh = FusedRope(qt, cos, sin).transpose(1, 2);
    kh = FusedRope(kt, cos, sin).transpose(1, 2);
  } else {
    qh = ApplyRope(qt.transpose(1, 2), cos, sin);
    kh = ApplyRope(kt.transpose(1, 2), cos, sin);
  }
  torch::Tensor attn;  // [B, H, T, hd]
  if (from != nullptr) {
    attn = AttentionFromKept(qh, kh, vh, *from);
  } else if (const auto kernel = keep ? KeepableKernel(qh, kh, vh) : std::nullopt) {
    attn = CausalAttentionKeeping(qh, kh, vh, *kernel, *keep);
  } else {
    attn = CausalAttention(qh, kh, vh);
  }
  auto hidden = x + o(attn.transpose(1, 2).reshape({B, T, shape_.heads * hd}));
  auto m = RmsNorm(hidden, post_norm, shape_.rms_eps);
  // gate before up, in two statements: their dropout masks are drawn in PEFT's order (Python's
  // left to right), not in whatever order a compiler evaluates operator* arguments.
  auto g = gate(m);  // [B, T, I]
  auto u = up(m);    // [B, T, I]
  auto act = FusedKernelServes("swiglu", g) ? FusedSwiGlu(g, u) : torch::silu(g) * u;
  return hidden + (output_needed ? down(act) : down->GradientsOnly(act));
}

LlamaModelImpl::LlamaModelImpl(const ModelShape& s, const LoraSpec& lora,
                               const torch::TensorOptions& opts)
    : shape_(s), dtype_(c10::typeMetaToScalarType(opts.dtype())) {
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < s.layers; ++i) layers->push_back(DecoderLayer(s, lora, opts));
}

void LlamaModelImpl::LoadBase(const BaseProvider& provider, const QuantPolicy& policy,
                              const LayerLoaded& on_layer) {
  torch::NoGradGuard no_grad;
  const auto& s = shape_;
  embed.Set(provider("model.embed_tokens.weight", {s.vocab, s.hidden}), policy,
            policy.Quantizes("embed"));
  for (int64_t i = 0; i < s.layers; ++i) {
    auto& layer = *layers[i]->as<DecoderLayerImpl>();
    for (auto& [name, proj] : layer.projections()) {
      proj->SetBase(provider(ProjectionPath(i, name) + ".weight",
                             {proj->out_features(), proj->in_features()}),
                    policy);
    }
    layer.input_norm = provider(LayerName(i, "input_layernorm.weight"), {s.hidden});
    layer.post_norm = provider(LayerName(i, "post_attention_layernorm.weight"), {s.hidden});
    if (on_layer) on_layer(i, layer);
  }
  final_norm = provider("model.norm.weight", {s.hidden});
  if (!s.tie_embeddings) {
    lm_head.Set(provider("lm_head.weight", {s.vocab, s.hidden}), policy,
                policy.Quantizes("lm_head"));
  }
}

void LlamaModelImpl::ResetAdapters() {
  for (auto& module : modules(/*include_self=*/false)) {
    if (auto* linear = module->as<LoraLinearImpl>()) linear->ResetAdapter();
  }
}

void LlamaModelImpl::SetAdaptersEnabled(bool on) {
  for (auto& [path, proj] : NamedProjections()) proj->set_adapter_enabled(on);
}

std::vector<std::pair<std::string, LoraLinear>> LlamaModelImpl::NamedProjections() const {
  std::vector<std::pair<std::string, LoraLinear>> out;
  int64_t i = 0;
  for (const auto& module : *layers) {
    for (const auto& [name, proj] : module->as<DecoderLayerImpl>()->projections()) {
      out.emplace_back(ProjectionPath(i, name), proj);
    }
    ++i;
  }
  return out;
}

std::vector<std::pair<std::string, torch::Tensor*>> LlamaModelImpl::NamedWeights() {
  std::vector<std::pair<std::string, torch::Tensor*>> out;
  const auto add_matrix = [&out](const std::string& name, FrozenMatrix& matrix) {
    if (matrix.quantized()) {
      throw std::logic_error(name + " is 4-bit: its dense weight does not exist");
    }
    if (matrix.defined()) out.emplace_back(name, matrix.Tensors().front());
  };
  add_matrix("model.embed_tokens.weight", embed);
  for (int64_t i = 0; i < shape_.layers; ++i) {
    auto& layer = *layers[i]->as<DecoderLayerImpl>();
    for (auto& [name, proj] : layer.projections()) {
      add_matrix(ProjectionPath(i, name) + ".weight", proj->mutable_base());
    }
    out.emplace_back(LayerName(i, "input_layernorm.weight"), &layer.input_norm);
    out.emplace_back(LayerName(i, "post_attention_layernorm.weight"), &layer.post_norm);
  }
  out.emplace_back("model.norm.weight", &final_norm);
  if (!shape_.tie_embeddings) add_matrix("lm_head.weight", lm_head);
  return out;
}

std::vector<torch::Tensor> LlamaModelImpl::MakeWeightsTrainable() {
  std::vector<torch::Tensor> out;
  for (auto& [name, slot] : NamedWeights()) out.push_back(slot->requires_grad_(true));
  return out;
}

torch::Tensor LlamaModelImpl::OutputWeight() const {
  return shape_.tie_embeddings ? embed.Get(dtype_) : lm_head.Get(dtype_);
}

void LlamaModelImpl::set_activation_offload(bool on, const torch::Device& device) {
  offload_ = on ? std::make_unique<ActivationOffload>(device) : nullptr;
}

void LlamaModelImpl::OffloadEmbeddings(const torch::Device& device) {
  if (shape_.tie_embeddings) {
    throw std::invalid_argument(
        "train.offload_embeddings: this model ties its embeddings to the output layer, which the "
        "loss needs on the GPU; set train.offload_embeddings to false");
  }
  if (!embed.defined() || embed.quantized()) {
    throw std::invalid_argument(
        "train.offload_embeddings needs a 16-bit embedding table: keep 'embed' in "
        "quantization.skip");
  }
  torch::NoGradGuard no_grad;
  auto host = torch::empty(
      embed.dense().sizes(),
      torch::TensorOptions().dtype(embed.dense().dtype()).pinned_memory(device.is_cuda()));
  host.copy_(embed.dense());
  embed.Set(host, QuantPolicy{}, false);
  embed_device_ = device;
}

int64_t LlamaModelImpl::BaseBytes() const {
  // Device bytes: a table in host memory is left out.
  int64_t bytes = (embed_device_ ? 0 : embed.Bytes()) + lm_head.Bytes() +
                  static_cast<int64_t>(final_norm.nbytes());
  for (const auto& module : *layers) {
    const auto& layer = *module->as<DecoderLayerImpl>();
    for (const auto& [name, proj] : layer.projections()) bytes += proj->base().Bytes();
    bytes += static_cast<int64_t>(layer.input_norm.nbytes() + layer.post_norm.nbytes());
  }
  return bytes;
}

torch::Tensor LlamaModelImpl::forward(const torch::Tensor& tokens) {
  const int64_t T = tokens.size(1);
  auto [cos, sin] =
      RopeTables(T, shape_.head_dim(), shape_.rope_theta, tokens.device(), shape_.rope_scaling);
  torch::Tensor x;      // [B, T, D]
  if (embed_device_) {  // gathered in host memory, then one copy of B*T rows
    const auto& table = embed.dense();
    auto rows = torch::empty(
        {tokens.numel(), table.size(1)},
        torch::TensorOptions().dtype(table.dtype()).pinned_memory(embed_device_->is_cuda()));
    torch::index_select_out(rows, table, 0, tokens.reshape({-1}).to(torch::kCPU));
    x = rows.view({tokens.size(0), tokens.size(1), table.size(1)})
            .to(*embed_device_, /*non_blocking=*/true);
  } else {
    x = torch::embedding(embed.Get(dtype_), tokens);
  }
  const bool checkpoint = checkpointing_ && is_training() && torch::GradMode::is_enabled();
  if (checkpoint) x.requires_grad_(true);
  ActivationOffload* offload = checkpoint ? offload_.get() : nullptr;
  if (offload != nullptr) offload->Reset();
  for (auto& module : *layers) {
    auto& layer = *module->as<DecoderLayerImpl>();
    x = checkpoint ? CheckpointedLayer(layer, x, cos, sin, offload, !recompute_attention_)
                   : layer.forward(x, cos, sin);
  }
  return RmsNorm(x, final_norm, shape_.rms_eps);
}

LlamaModelImpl::BaseProvider RandomBase(const torch::TensorOptions& opts) {
  return [opts](const std::string& name, const std::vector<int64_t>& shape) {
    if (shape.size() == 1) return torch::ones(shape, opts);  // RMSNorm scales
    // Token embeddings and the output layer: N(0, 1/D), so that a logit (the RMS-normed hidden
    // state, of norm sqrt(D), times a row of norm ~1) can reach ~sqrt(D) and a model can become
    // confident; with 0.02 at D = 64 no logit passes ~1.3 and the loss cannot fall below ~5.
    // At 7B's D = 4096 this is 0.016, close to HF's 0.02.
    if (name == "model.embed_tokens.weight" || name == "lm_head.weight") {
      return torch::empty(shape, opts).normal_(0.0, 1.0 / std::sqrt(static_cast<double>(shape[1])));
    }
    return torch::empty(shape, opts).normal_(0.0, 0.02);
  };
}

LlamaModel MakeRandomLlama(uint64_t seed, const ModelShape& shape, const LoraSpec& lora,
                           const torch::TensorOptions& opts, const QuantPolicy& policy,
                           const LlamaModelImpl::LayerLoaded& on_layer) {
  LlamaModel model(shape, lora, opts);
  torch::manual_seed(seed);
  model->LoadBase(RandomBase(opts), policy, on_layer);
  torch::manual_seed(seed + 1);
  model->ResetAdapters();
  return model;
}

}  // namespace qlsweep::trainer
