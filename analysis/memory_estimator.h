// Analytic GPU memory budget of one QLoRA (or full fine-tuning) trial, component by component, and
// its verdict on a card. Every formula and constant is written out, with its source, in
// docs/memory-estimator.md.
//
// Legend: B micro-batch, T sequence length, D hidden, H query heads, Hkv key/value heads,
// hd = D / H head dim, F MLP width, V vocabulary, R LoRA rank, L decoder layers,
// c bytes per element of the compute dtype (2 for bf16/fp16, 4 for fp32).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sweeps/gpu_profiles.h"
#include "sweeps/model_shapes.h"
#include "sweeps/trial_config.h"

namespace qlsweep::analysis {

inline constexpr int64_t kMiB = int64_t{1} << 20;

// Resident device memory outside the caching allocator for one trial process: CUDA context,
// cuBLAS handle, libtorch and qlsweep kernel images (loaded lazily, on first use). First derived
// from the lead's H200 measurement of the Llama-2-7B bf16 LoRA trial (device peak 16,023,093,248
// minus reserved peak 15,219,032,064 = 766.8 MiB); the 7B QLoRA trial (its 4-bit kernels, flash
// attention, 8-bit AdamW) holds 894 MiB once a step has run (H200, 2026-11-30, bench/levers.sh:
// "894 MiB of CUDA context and libraries" in the emulated card's check); with the fused decoder
// kernels and the cuBLASLt epilogue GEMMs they bring it reaches 966-970 MiB (H200, 2026-11-30,
// bench/levers.sh fits2), so 968 MiB. Smaller cards load fewer kernel images, so this errs on the
// safe side there.
inline constexpr int64_t kCudaContextBytes = 968 * kMiB;

// Device memory NCCL takes in a sharded trial (communicator buffers, proxy state), outside the
// caching allocator. Measured on two H200s (bench/sharded.sh, 2026-11-29): the 7B QLoRA trial's
// device peak is 6.26 GiB on one GPU and 6.97 GiB per rank at ZeRO stages 0-2 with the same
// allocator peak (4.79 vs 4.74 GiB allocated): +0.71 GiB, rounded to 720 MiB.
inline constexpr int64_t kNcclContextBytes = 720 * kMiB;
// Caching-allocator slack, as a share of the allocated peak: memory reserved in segments that the
// peak's tensors do not fill (pages of expandable segments pinned by live tensors, the copy
// stream's segment with activation offload). Expandable segments are on (UseExpandableSegments);
// before them the 7B trial at seq 2048 reserved 12.5% over its allocated peak. Activation offload
// had needed 17% while the host ran ahead of its copies (inputs waiting for their copy stayed
// reserved); the host is now held two layers ahead (trainer/model/activation_offload.h).
// Measured as reserved over this estimate's allocated peak (H200, session 7, bench/levers.sh
// fits fits2; docs/results.md): 0.9% to 5.9% over twelve trials (7B at seq 2048 and 4096 with no,
// activation or both offloads, Llama-3-8B at 3072 to 8192), the estimate's allocated peak itself
// 2.4% to 5.5% above the measured one. 7% covers them all.
inline constexpr double kFragmentationFactor = 0.07;

// 8-bit optimizer states (bitsandbytes): one fp32 absmax per 256 values; tensors with fewer than
// 4096 elements keep fp32 states.
inline constexpr int64_t kOptim8bitBlock = 256;
inline constexpr int64_t kOptim8bitMinElements = 4096;

// Double quantization: 8-bit absmax codes, one fp32 scale per 256 of them, one fp32 offset.
inline constexpr int64_t kDoubleQuantBlock = 256;

// One of the 7 linear layers of a decoder layer: weight [out, in].
struct Projection {
  std::string name;  // q, k, v, o, gate, up, down
  int64_t in = 0;
  int64_t out = 0;
};

// q [D, D], k [Hkv*hd, D], v [Hkv*hd, D], o [D, D], gate [F, D], up [F, D], down [D, F].
std::vector<Projection> Projections(const sweeps::ModelShape& shape);

// Bytes per element of the compute dtype: 4 for fp32 (or auto on a cpu device), else 2.
int ComputeBytes(const sweeps::HardwareConfig& hardware);

// Bytes of one 4-bit (nf4/fp4) tensor of `numel` weights with block size S = q.block_size:
//   numel/2 (two codes per byte) + without double quant: 4 * ceil(numel/S) (fp32 absmax)
//                                + with double quant:    ceil(numel/S) (8-bit absmax)
//                                  + 4 * ceil(ceil(numel/S) / 256) (fp32 scales) + 4 (offset).
int64_t QuantizedTensorBytes(int64_t numel, const sweeps::QuantizationConfig& q);

// Bytes of the 7 projections of all L layers: 4-bit per tensor as above, or numel * c when
// quantization.type is none.
int64_t BaseLinearBytes(const sweeps::ModelShape& shape, const sweeps::QuantizationConfig& q,
                        int compute_bytes);

// Trainable LoRA parameters: L * sum over targeted projections of R * (in + out).
int64_t LoraParams(const sweeps::ModelShape& shape, const sweeps::LoraConfig& lora);

// Bytes of the two AdamW states (m, v) of one tensor of `numel` elements: 8 * numel in fp32;
// 8-bit: 2 * (numel + 4 * ceil(numel / 256)), or fp32 when numel < 4096.
int64_t AdamStateBytes(int64_t numel, bool eight_bit);

// One row of the budget.
struct MemoryComponent {
  std::string name;
  int64_t bytes = 0;
  std::string note;       // the formula with its values, or why the row is zero
  bool pageable = false;  // paged optimizer states: managed memory the driver may move to host
};

struct MemoryEstimate {
  std::vector<MemoryComponent> components;  // tensors on the device at the peak
  int64_t allocated_bytes = 0;              // sum of components: the allocator's peak allocated
  int64_t fragmentation_bytes = 0;          // allocated * kFragmentationFactor
  int64_t reserved_bytes = 0;  // allocated + fragmentation: the allocator's peak reserved
  int64_t context_bytes = 0;   // kCudaContextBytes; 0 when hardware.device is cpu
  int64_t total_bytes = 0;     // reserved + context: the device-level peak
  int64_t pageable_bytes = 0;  // part of allocated that paged optimizers may evict to host
};

// The budget of one trial (of one rank when hardware.gpus > 1: ZeRO stage 1+ divides the
// optimizer states, stage 3 the 7 projections' 4-bit base, by the ranks; see
// docs/memory-estimator.md). Assumes what the trainer does: every component is live at the peak
// (conservative: the loss buffers and a layer's recompute do not overlap in time), fused
// attention (no T x T score matrix), and the paged states counted as if resident.
// A full fine-tuning trial (train.method full) has no adapters: every weight is trainable, with a
// gradient and AdamW states of its own (docs/memory-estimator.md, "Full fine-tuning").
// Throws std::invalid_argument for an unknown model preset, and for a trial with model.weights
// (whose shapes only the trainer reads).
MemoryEstimate EstimateMemory(const sweeps::TrialConfig& cfg);

struct Verdict {
  bool fits = false;         // total_bytes <= budget_bytes
  int64_t budget_bytes = 0;  // the profile's memory_bytes
  int64_t margin_bytes = 0;  // budget - total; negative: short by that much
};

Verdict Judge(const MemoryEstimate& estimate, const sweeps::GpuProfile& profile);

}  // namespace qlsweep::analysis
