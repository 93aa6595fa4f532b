// The memory budget of one trial: weights, adapters, gradients, optimizer states, activations,
// loss buffers; then allocator slack and the CUDA context; then the verdict against a card.
#include "analysis/memory_estimator.h"

#include "sweeps/loss_chunk.h"

#include <algorithm>
#include <cstdio>

namespace qlsweep::analysis {
namespace {

bool Has(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::string Format(const char* format, auto... args) {
  char buffer[256];
  std::snprintf(buffer, sizeof(buffer), format, args...);
  return buffer;
}

// The 7 projections: 4-bit or 16-bit storage (trainable in full fine-tuning).
MemoryComponent BaseWeights(const sweeps::ModelShape& s, const sweeps::QuantizationConfig& q, int c,
                            bool full) {
  const int64_t n = s.LinearParams();
  const int64_t bytes = BaseLinearBytes(s, q, c);
  if (full) {
    return {"weights (7 projections, trainable)", bytes,
            Format("params * c = %lld * %d", static_cast<long long>(n), c)};
  }
  if (q.type == "none") {
    return {"base weights (7 projections, 16-bit)", bytes,
            Format("params * c = %lld * %d", static_cast<long long>(n), c)};
  }
  return {"base weights (7 projections, " + q.type + (q.double_quant ? ", double quant)" : ")"),
          bytes,
          Format("per tensor: n/2 + absmax (block %d%s); %.3f bits/param", q.block_size,
                 q.double_quant ? ", 8-bit absmax + fp32 per 256 + offset" : ", fp32",
                 8.0 * static_cast<double>(bytes) / static_cast<double>(n))};
}

// Embeddings, lm_head (unless tied) and norms: compute dtype unless quantization.skip leaves
// embed or lm_head out, which stores them in the 4-bit format. Norm vectors are never quantized.
// With `embed_on_host` (train.offload_embeddings) the input table is in host memory, not counted.
MemoryComponent OtherWeights(const sweeps::ModelShape& s, const sweeps::QuantizationConfig& q,
                             int c, bool embed_on_host = false) {
  const int64_t table = s.vocab * s.hidden;
  auto stored = [&](const char* kind) {
    return q.type == "none" || Has(q.skip, kind) ? table * c : QuantizedTensorBytes(table, q);
  };
  const int64_t norms = (2 * s.layers + 1) * s.hidden;
  const bool host = embed_on_host && !s.tie_embeddings;
  int64_t bytes = (host ? 0 : stored("embed")) + norms * c;
  if (!s.tie_embeddings) bytes += stored("lm_head");
  return {host ? "lm_head, norms (embeddings in host memory)" : "embeddings, lm_head, norms", bytes,
          Format("V*D = %lld per table (%s), (2L+1)*D = %lld norm params; c = %d",
                 static_cast<long long>(table),
                 s.tie_embeddings ? "tied" : (host ? "lm_head" : "embed + lm_head"),
                 static_cast<long long>(norms), c)};
}

// Per-tensor element counts of the adapters: lora_A [R, in], lora_B [out, R] per target, per layer.
std::vector<int64_t> AdapterTensors(const sweeps::ModelShape& s, const sweeps::LoraConfig& lora) {
  std::vector<int64_t> out;
  for (int64_t layer = 0; layer < s.layers; ++layer) {
    for (const auto& p : Projections(s)) {
      if (!Has(lora.targets, p.name)) continue;
      out.push_back(int64_t{lora.r} * p.in);
      out.push_back(int64_t{lora.r} * p.out);
    }
  }
  return out;
}

// Per-tensor element counts of every weight (full fine-tuning): the embedding table, per layer
// the 7 projections and 2 norms, the final norm, lm_head unless tied.
std::vector<int64_t> WeightTensors(const sweeps::ModelShape& s) {
  std::vector<int64_t> out = {s.vocab * s.hidden};
  for (int64_t layer = 0; layer < s.layers; ++layer) {
    for (const auto& p : Projections(s)) out.push_back(p.in * p.out);
    out.push_back(s.hidden);
    out.push_back(s.hidden);
  }
  out.push_back(s.hidden);
  if (!s.tie_embeddings) out.push_back(s.vocab * s.hidden);
  return out;
}

bool IsFull(const sweeps::TrialConfig& cfg) { return cfg.train.method == "full"; }

MemoryComponent OptimizerStates(const sweeps::TrialConfig& cfg, const sweeps::ModelShape& s) {
  const std::string& name = cfg.optim.name;
  const bool eight_bit = name.find("8bit") != std::string::npos;
  const bool paged = name.rfind("paged", 0) == 0;
  int64_t bytes = 0;
  for (int64_t numel : IsFull(cfg) ? WeightTensors(s) : AdapterTensors(s, cfg.lora)) {
    bytes += AdamStateBytes(numel, eight_bit);
  }
  std::string note = eight_bit ? "m, v: 8-bit + fp32 absmax per 256 (fp32 below 4096 elements)"
                               : "m, v: 2 * 4 bytes per trainable param";
  if (paged) note += "; paged: managed memory, evictable to host";
  return {"optimizer states (" + name + ")", bytes, note, paged};
}

// Layer inputs' worth of device memory that activation offload leaves (measured, see below).
constexpr int64_t kOffloadResidentInputs = 6;

// Activations of the decoder layers. With checkpointing each layer saves only its input
// (B*T*D*c) and one layer at a time is recomputed in backward; without, every layer keeps its
// input and its working set. Working set of one layer, in elements:
//   attention: q, k, v, attention output  B*T*(D + 2*Hkv*hd + D)
//   MLP: gate, up, act*up                 3*B*T*F on CUDA, where the fused SwiGLU kernel keeps
//                                         no act(gate) (trainer/model/fused_ops.h); 4*B*T*F else
//   RMSNorm outputs (attention, MLP)      2*B*T*D
//   LoRA down-projections                 B*T*R per adapter
//   all times c, plus with lora.dropout > 0 each adapter's 1-byte dropout mask: B*T*in per
//   adapter (the dropped copy is recomputed in backward: trainer/peft/lora_projection.h).
// The MLP's backward, one layer at a time, beside that layer's saved tensors: the incoming
// gradient of act(gate)*up and the SwiGLU backward's d(gate) and d(up), less act(gate)*up, freed
// by then (its only reader is the down projection's backward): 2*B*T*F*c. The allocator history of
// the 7B step at seq 4096 (H200, session 7, bench/memory_peak.py) shows the peak there: five
// [T, F] blocks live.
MemoryComponent MlpBackward(int64_t bt, const sweeps::ModelShape& s, int c) {
  return {"activations: MLP backward gradients", 2 * bt * s.intermediate * c,
          Format("2*B*T*F*c = 2*%lld*%lld*%d (one layer's incoming and SwiGLU gradients)",
                 static_cast<long long>(bt), static_cast<long long>(s.intermediate), c)};
}

std::vector<MemoryComponent> Activations(const sweeps::TrialConfig& cfg,
                                         const sweeps::ModelShape& s, int c) {
  const int64_t bt = int64_t{cfg.train.micro_batch} * cfg.data.seq_len;
  const int64_t kv = s.kv_heads * s.head_dim();
  int64_t lora_r = 0, lora_in = 0;
  for (const auto& p : Projections(s)) {
    if (!Has(cfg.lora.targets, p.name)) continue;
    lora_r += cfg.lora.r;
    lora_in += p.in;
  }
  const int64_t attention = bt * (2 * s.hidden + 2 * kv) * c;
  const int64_t mlp_tensors = cfg.hardware.device == "cuda" ? 3 : 4;
  const int64_t mlp = mlp_tensors * bt * s.intermediate * c;
  const int64_t norms = 2 * bt * s.hidden * c;
  const int64_t adapters = bt * lora_r * c + (cfg.lora.dropout > 0 ? bt * lora_in : 0);
  const int64_t working = attention + mlp + norms + adapters;
  const int64_t input = bt * s.hidden * c;
  const std::string parts = Format("attn %lld + MLP %lld + norms %lld + LoRA %lld",
                                   static_cast<long long>(attention), static_cast<long long>(mlp),
                                   static_cast<long long>(norms), static_cast<long long>(adapters));
  const MemoryComponent mlp_backward = MlpBackward(bt, s, c);
  std::vector<MemoryComponent> out;
  if (cfg.train.grad_checkpointing && !cfg.train.recompute_attention) {
    // Attention kept instead of recomputed (trainer/model/checkpoint.h): per layer q, k, v and the
    // output, the working set's attention part, plus the kernel's float32 log-sum-exp B*H*T*4,
    // which stays on the device. One layer's share is in the recomputed working set already; the
    // others wait on the device, or in host memory with offload. There the layer before's come
    // back only after this layer's MLP backward (where the peak is); one layer's worth is allowed
    // for copies in flight. Derived, not yet measured on a GPU.
    const int64_t lse = bt * s.heads * 4;
    const int64_t waiting = cfg.train.offload_activations ? 1 : s.layers - 1;
    const std::string host =
        cfg.train.offload_activations
            ? Format(", %lld bytes in host memory", static_cast<long long>(s.layers * attention))
            : "";
    out.push_back({"activations: kept attention", waiting * attention + s.layers * lse,
                   Format("%lld %s q, k, v, output (%lld each) + L*B*H*T*4 log-sum-exp%s",
                          static_cast<long long>(waiting), waiting == 1 ? "layer's" : "layers'",
                          static_cast<long long>(attention), host.c_str())});
  }
  const auto with_kept = [&out](std::vector<MemoryComponent> parts) {
    parts.insert(parts.end(), out.begin(), out.end());
    return parts;
  };
  if (cfg.train.grad_checkpointing && cfg.train.offload_activations) {
    // Parked in pinned host memory (trainer/model/activation_offload.h). What stays on the device
    // was measured, not derived: offload saved 0.39 of 0.50 GiB at seq 2048 and 0.83 of 1.00 GiB
    // at 4096 on the 7B shape (docs/results.md, "Memory levers"), about 6 inputs' worth left (the
    // input in flight each way, the one recomputed, its gradient, the next one prefetched).
    return with_kept(
        {{"activations: saved layer inputs (offloaded)", kOffloadResidentInputs * input,
          Format("6 of L on the device, B*T*D*c = %lld*%lld*%d each; %lld bytes in host memory",
                 static_cast<long long>(bt), static_cast<long long>(s.hidden), c,
                 static_cast<long long>(s.layers * input))},
         {"activations: one layer recomputed", working, parts},
         mlp_backward});
  }
  if (cfg.train.grad_checkpointing) {
    return with_kept({{"activations: saved layer inputs", s.layers * input,
                       Format("L*B*T*D*c = %lld*%lld*%lld*%d", static_cast<long long>(s.layers),
                              static_cast<long long>(bt), static_cast<long long>(s.hidden), c)},
                      {"activations: one layer recomputed", working, parts},
                      mlp_backward});
  }
  return {{"activations: all layers (no checkpointing)", s.layers * (input + working),
           "L * (input B*T*D*c + " + parts + ")"},
          mlp_backward};
}

// The weight a 4-bit projection is dequantized into for its GEMM (forward and backward): one at a
// time, the largest, out*in*c.
MemoryComponent DequantizedWeight(const sweeps::TrialConfig& cfg, const sweeps::ModelShape& s,
                                  int c) {
  if (cfg.quantization.type == "none") {
    return {"dequantized weight (transient)", 0, "none: the base is already 16-bit"};
  }
  int64_t largest = 0;
  for (const auto& p : Projections(s)) largest = std::max(largest, p.in * p.out);
  return {"dequantized weight (transient)", largest * c,
          Format("largest projection F*D*c = %lld * %d", static_cast<long long>(largest), c)};
}

// Chunked cross-entropy (trainer/train/chunked_loss.cpp): per chunk of N = min(LossChunkTokens,
// B*T) tokens (sweeps/loss_chunk.h: 128 MiB of logits), fp32 logits N*V*4, their softmax N*V*4 and
// its cast to the compute dtype N*V*c; plus the final hidden states it saves and their gradient,
// 2*B*T*D*c.
MemoryComponent LossBuffers(const sweeps::TrialConfig& cfg, const sweeps::ModelShape& s, int c) {
  const int64_t bt = int64_t{cfg.train.micro_batch} * cfg.data.seq_len;
  const int64_t chunk = std::min(sweeps::LossChunkTokens(s.vocab, c), bt);
  const int64_t bytes = chunk * s.vocab * (8 + c) + 2 * bt * s.hidden * c;
  return {"logits and loss buffers", bytes,
          Format("N*V*(4+4+c) + 2*B*T*D*c, N = %lld, V = %lld", static_cast<long long>(chunk),
                 static_cast<long long>(s.vocab))};
}

// ZeRO-3: each rank keeps 1/N of the 7 projections' 4-bit base, and one decoder layer is
// all-gathered whole while it computes.
void ShardBase(const sweeps::ModelShape& s, int64_t ranks, std::vector<MemoryComponent>* parts) {
  MemoryComponent& base = parts->back();
  const int64_t whole = base.bytes;
  base.bytes = (whole + ranks - 1) / ranks;
  base.name += ", ZeRO-3 shard";
  base.note += Format("; / %lld ranks", static_cast<long long>(ranks));
  parts->push_back(
      {"gathered decoder layer (ZeRO-3, transient)", whole / s.layers,
       Format("one layer's 4-bit base, all-gathered: %lld / L", static_cast<long long>(whole))});
}

// A sharded trial's optimizer runs on one flat buffer of all adapter params (8-bit blocks of 256
// across tensors, no fp32 small-tensor exception), padded to 256 * N; stages 1+ keep 1/N of it.
MemoryComponent FlatOptimizerStates(const sweeps::TrialConfig& cfg, int64_t lora, int64_t ranks,
                                    int stage) {
  const bool eight_bit = cfg.optim.name.find("8bit") != std::string::npos;
  const int64_t unit = kOptim8bitBlock * ranks;
  const int64_t padded = (lora + unit - 1) / unit * unit;
  const int64_t held = stage >= 1 ? padded / ranks : padded;
  const int64_t bytes = eight_bit ? 2 * (held + 4 * (held / kOptim8bitBlock)) : 8 * held;
  return {"optimizer states (" + cfg.optim.name + ", flat" + (stage >= 1 ? ", 1/N)" : ")"), bytes,
          Format("%lld of %lld padded params", static_cast<long long>(held),
                 static_cast<long long>(padded)),
          cfg.optim.name.rfind("paged", 0) == 0};
}

// Sums the components, then adds allocator slack and the CUDA (and NCCL) context.
void Total(const sweeps::TrialConfig& cfg, int64_t ranks, MemoryEstimate* e) {
  for (const auto& part : e->components) {
    e->allocated_bytes += part.bytes;
    if (part.pageable) e->pageable_bytes += part.bytes;
  }
  e->fragmentation_bytes =
      static_cast<int64_t>(static_cast<double>(e->allocated_bytes) * kFragmentationFactor);
  e->reserved_bytes = e->allocated_bytes + e->fragmentation_bytes;
  e->context_bytes =
      cfg.hardware.device == "cpu" ? 0 : kCudaContextBytes + (ranks > 1 ? kNcclContextBytes : 0);
  e->total_bytes = e->reserved_bytes + e->context_bytes;
}

// Full fine-tuning (train.method full; quantization none, one GPU): every weight in the compute
// dtype with a gradient of its size, AdamW states over all of them, the activations of a model
// without adapters, and the output weight's float32 gradient accumulator in the loss.
MemoryEstimate EstimateFull(const sweeps::TrialConfig& cfg, const sweeps::ModelShape& s, int c) {
  sweeps::TrialConfig plain = cfg;  // lora.* are ignored: no adapter activations
  plain.lora.targets.clear();
  plain.lora.dropout = 0;
  const int64_t n = s.TotalParams();
  MemoryEstimate e;
  e.components.push_back(BaseWeights(s, cfg.quantization, c, true));
  auto other = OtherWeights(s, cfg.quantization, c);
  other.name += " (trainable)";
  e.components.push_back(other);
  e.components.push_back({"gradients (every weight)", n * c,
                          Format("params * c = %lld * %d", static_cast<long long>(n), c)});
  e.components.push_back(OptimizerStates(cfg, s));
  for (auto& a : Activations(plain, s, c)) e.components.push_back(std::move(a));
  e.components.push_back(LossBuffers(plain, s, c));
  const int64_t table = s.vocab * s.hidden;
  e.components.push_back(
      {"output weight gradient (loss, transient)", table * (4 + c),
       Format("float32 sum V*D*4 + one chunk's V*D*c, V*D = %lld", static_cast<long long>(table))});
  Total(cfg, 1, &e);
  return e;
}

}  // namespace

MemoryEstimate EstimateMemory(const sweeps::TrialConfig& cfg) {
  if (!cfg.model.weights.empty()) {
    throw std::invalid_argument("model.weights " + cfg.model.weights +
                                ": the memory estimator knows the presets' shapes only, not a "
                                "checkpoint's (no estimate for trials with real weights)");
  }
  const sweeps::ModelShape s = sweeps::PresetShape(cfg.model.preset);
  const int c = ComputeBytes(cfg.hardware);
  if (IsFull(cfg)) return EstimateFull(cfg, s, c);
  const int64_t lora = LoraParams(s, cfg.lora);
  const int64_t ranks = std::max(1, cfg.hardware.gpus);
  const int stage = ranks > 1 ? cfg.distributed.zero_stage : 0;
  MemoryEstimate e;
  e.components.push_back(BaseWeights(s, cfg.quantization, c, false));
  if (stage == 3) ShardBase(s, ranks, &e.components);
  e.components.push_back(OtherWeights(s, cfg.quantization, c, cfg.train.offload_embeddings));
  e.components.push_back(
      {"LoRA adapters", lora * c,
       Format("%lld params (R*(in+out) per target per layer) * c", static_cast<long long>(lora))});
  e.components.push_back({"LoRA gradients", lora * c, "one per adapter param, compute dtype"});
  e.components.push_back(ranks > 1 ? FlatOptimizerStates(cfg, lora, ranks, stage)
                                   : OptimizerStates(cfg, s));
  if (ranks > 1) {
    e.components.push_back({"flat gradient buffer (sharded trial)", lora * c,
                            "the summed gradients, one flat copy during the step"});
  }
  for (auto& a : Activations(cfg, s, c)) e.components.push_back(std::move(a));
  e.components.push_back(DequantizedWeight(cfg, s, c));
  e.components.push_back(LossBuffers(cfg, s, c));
  Total(cfg, ranks, &e);
  return e;
}

Verdict Judge(const MemoryEstimate& estimate, const sweeps::GpuProfile& profile) {
  Verdict v;
  v.budget_bytes = profile.memory_bytes;
  v.margin_bytes = profile.memory_bytes - estimate.total_bytes;
  v.fits = v.margin_bytes >= 0;
  return v;
}

}  // namespace qlsweep::analysis
