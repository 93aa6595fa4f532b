// Training speed of one trial projected onto a GPU profile: a roofline of the step's FLOPs and
// bytes against the profile's bf16 peak and bandwidth, with efficiencies measured on an H200.
// Every formula, constant and the error model are written out in docs/speed-projection.md.
//
// Legend as in analysis/memory_estimator.h: B micro-batch, T sequence length, N = B*T tokens,
// D hidden, F MLP width, V vocabulary, L layers, P the 7 projections' parameters of all layers,
// P_lora the adapters' parameters.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analysis/text_table.h"
#include "sweeps/gpu_profiles.h"
#include "sweeps/model_shapes.h"
#include "sweeps/trial_config.h"

namespace qlsweep::analysis {

// Efficiencies and host costs measured by this project on an NVIDIA H200 (sources beside each).
struct SpeedCalibration {
  // Share of the bf16 dense peak that the step's GEMMs reach, every other kernel of the step
  // counted in: the kernel profile of one 7B step at seq 4096 (bench/profile.sh, H200,
  // 2026-11-30, docs/results.md "Where a step's time goes") holds 321 ms of kernels besides the
  // dequantization and the overlapped offload copies, for the 1.706e14 FLOPs counted here:
  // 531 TFLOP/s of the H200's 989.
  double gemm_efficiency = 0.536;
  // Share of the DRAM peak that the 4-bit dequantization reaches: the same profile's 640
  // dequantization launches ran 14.6 ms for 4.53e10 bytes = 3.1 TB/s of 4.8.
  double bandwidth_efficiency = 0.646;
  // Host time to issue one micro-batch's kernels (forward, recompute, backward) for 32 decoder
  // layers: the 7B step at seq 512, where the GPU work is about 46 ms, took 127.9 ms (4,002
  // tokens/s, bench/peers, 2026-11-30), 6.3 ms of it the optimizer (below). Scaled by L / 32.
  // A micro-batch takes at least this long.
  double host_seconds_per_32_layers = 0.1279 - 0.0063;
  // The optimizer step's host time per LoRA tensor: paged 8-bit AdamW over the 448 tensors of
  // the 7B r=16 adapters took 6.3 ms, fp32 AdamW 31.0 ms (bench/optim_step.cpp,
  // docs/optimizers.md); launch-bound, so not scaled to the card.
  double optimizer_seconds_per_tensor_8bit = 6.3e-3 / 448;
  double optimizer_seconds_per_tensor_fp32 = 31.0e-3 / 448;
};

// The work of one optimizer step (grad_accum micro-batches), before any card is named.
struct StepWork {
  double gemm_flops = 0;      // projections, LoRA, lm_head and attention matmuls
  double dequant_bytes = 0;   // 4-bit weights read and 16-bit weights written, every pass
  int64_t micro_batches = 0;  // grad_accum
  int64_t tokens = 0;         // N * grad_accum
  int64_t lora_tensors = 0;   // adapter matrices (A and B) the optimizer updates
  int64_t layers = 0;         // L
};

// FLOPs and bytes of one optimizer step of `cfg` on `shape` (a preset's). With checkpointing the
// projections run three times (forward, recompute, backward for the input gradient; the base is
// frozen, so no weight gradient), without it twice.
StepWork TrainingStepWork(const sweeps::TrialConfig& cfg, const sweeps::ModelShape& shape);

struct SpeedProjection {
  std::string profile;         // the card projected onto
  double gemm_seconds = 0;     // gemm_flops / (bf16 peak * gemm_efficiency)
  double dequant_seconds = 0;  // dequant_bytes / (bandwidth * bandwidth_efficiency)
  double gpu_seconds = 0;      // the two above
  double host_seconds = 0;     // kernel issue floor for all micro-batches
  double optimizer_seconds = 0;
  double step_seconds = 0;  // max(gpu, host) + optimizer
  double tokens_per_second = 0;
  double steps_per_second = 0;  // optimizer steps
  // The same step with the GEMM efficiency at its plausible high end on this card (consumer Ada
  // and Ampere cards reach a larger share of their lower peak): the range's fast end.
  double step_seconds_fast = 0;
};

// Highest GEMM efficiency assumed for the range's fast end (docs/speed-projection.md).
inline constexpr double kGemmEfficiencyHigh = 0.70;

// The step of `cfg` on `profile`. Throws std::invalid_argument for a profile without a bf16 path
// (bf16_tflops 0), a model given by weights (shapes of presets only) or a sharded trial.
SpeedProjection ProjectSpeed(const sweeps::TrialConfig& cfg, const sweeps::GpuProfile& profile,
                             const SpeedCalibration& calibration = {});

// Time for `epochs` passes over `samples` sequences: ceil(samples / (B * grad_accum)) steps each.
double EpochSeconds(const sweeps::TrialConfig& cfg, const SpeedProjection& p, int64_t samples);

// Rows: GEMM, dequantization, host floor, optimizer, step, tokens/s, steps/s, epoch and `epochs`
// epochs of `samples` sequences (the seed report's speed table), each with its formula.
TextTable SpeedTable(const sweeps::TrialConfig& cfg, const SpeedProjection& p, int64_t samples,
                     int epochs);

// What `qlsweep estimate` adds for a profile: markdown, a heading line, the table and the error
// model in one sentence (or one line saying why there is no projection); CSV and JSON, the table
// alone (then a trial without a projection throws std::invalid_argument).
std::string SpeedReport(const sweeps::TrialConfig& cfg, const sweeps::GpuProfile& profile,
                        int64_t samples, int epochs, TableFormat format);

}  // namespace qlsweep::analysis
