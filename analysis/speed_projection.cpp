// Training speed of one trial projected onto a GPU profile (roofline with measured efficiencies).
#include "analysis/speed_projection.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "analysis/memory_estimator.h"

namespace qlsweep::analysis {
namespace {

std::string Format(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), format, value);
  return buffer;
}

// "1 h 45 min", "35.2 min" or "12.3 s".
std::string Duration(double seconds) {
  if (seconds >= 3600) {
    const auto minutes = static_cast<long long>(std::lround(seconds / 60));
    return std::to_string(minutes / 60) + " h " + std::to_string(minutes % 60) + " min";
  }
  if (seconds >= 60) return Format("%.1f min", seconds / 60);
  return Format("%.2f s", seconds);
}

}  // namespace

StepWork TrainingStepWork(const sweeps::TrialConfig& cfg, const sweeps::ModelShape& shape) {
  const double n = static_cast<double>(cfg.train.micro_batch) * cfg.data.seq_len;  // N
  const double t = cfg.data.seq_len;
  const double b = cfg.train.micro_batch;
  const double d = static_cast<double>(shape.hidden);
  const double layers = static_cast<double>(shape.layers);
  const double p = static_cast<double>(shape.LinearParams());
  const double p_lora = static_cast<double>(LoraParams(shape, cfg.lora));
  const bool ckpt = cfg.train.grad_checkpointing;
  const double passes = ckpt ? 3 : 2;  // forward, [recompute], backward (input gradient only)

  // Per micro-batch: projections 2NP per pass; LoRA 2N P_lora per forward pass and 4N P_lora in
  // backward (input and weight gradients); lm_head 2NVD forward + 2NVD input gradient; causal
  // attention 2 B T^2 D per layer forward (QK^T and AV, half the matrix), 2.5x that in backward.
  // A checkpoint's recompute skips the down projection's base GEMM when down has an adapter
  // (its output feeds only the gradient; trainer/model/llama.h RecomputeForBackward).
  const bool skip_down =
      ckpt && cfg.lora.r > 0 &&
      std::find(cfg.lora.targets.begin(), cfg.lora.targets.end(), "down") != cfg.lora.targets.end();
  // With attention kept (train.recompute_attention false) the recompute also skips the base GEMMs
  // of q, k and v where they have adapters (GradientsOnly, as down) and attention's forward.
  const bool keep_attention = ckpt && !cfg.train.recompute_attention;
  double p_skipped = skip_down ? layers * static_cast<double>(shape.intermediate) * d : 0.0;
  if (keep_attention && cfg.lora.r > 0) {
    for (const auto& proj : Projections(shape)) {
      const bool qkv = proj.name == "q" || proj.name == "k" || proj.name == "v";
      if (qkv && std::find(cfg.lora.targets.begin(), cfg.lora.targets.end(), proj.name) !=
                     cfg.lora.targets.end()) {
        p_skipped += layers * static_cast<double>(proj.in * proj.out);
      }
    }
  }
  const double attention_forwards = (passes - 1) - (keep_attention ? 1 : 0);
  const double gemm = 2 * n * p * passes - 2 * n * p_skipped + 2 * n * p_lora * (passes - 1) +
                      4 * n * p_lora + 4 * n * static_cast<double>(shape.vocab) * d +
                      layers * 2 * b * t * t * d * (attention_forwards + 2.5);
  double dequant = 0;
  if (cfg.quantization.type != "none") {
    // Per weight: the packed 4-bit code and its absmax share read, the 16-bit weight written.
    const auto per_tensor = static_cast<double>(QuantizedTensorBytes(1 << 20, cfg.quantization));
    const double bytes_per_weight = per_tensor / (1 << 20) + ComputeBytes(cfg.hardware);
    dequant = (p * passes - p_skipped) * bytes_per_weight;
  }
  StepWork w;
  w.micro_batches = cfg.train.grad_accum;
  w.gemm_flops = gemm * static_cast<double>(w.micro_batches);
  w.dequant_bytes = dequant * static_cast<double>(w.micro_batches);
  w.tokens = static_cast<int64_t>(n) * w.micro_batches;
  w.lora_tensors = 2 * static_cast<int64_t>(cfg.lora.targets.size()) * shape.layers;
  w.layers = shape.layers;
  return w;
}

SpeedProjection ProjectSpeed(const sweeps::TrialConfig& cfg, const sweeps::GpuProfile& profile,
                             const SpeedCalibration& k) {
  if (profile.bf16_tflops <= 0) {
    throw std::invalid_argument("GPU profile " + profile.name +
                                " has no bf16 tensor path (bf16_tflops 0): no speed projection");
  }
  if (!cfg.model.weights.empty()) {
    throw std::invalid_argument("model.weights " + cfg.model.weights +
                                ": the speed projection knows the presets' shapes only");
  }
  if (cfg.hardware.gpus > 1) {
    throw std::invalid_argument("hardware.gpus " + std::to_string(cfg.hardware.gpus) +
                                ": the speed projection covers one-GPU trials only");
  }
  if (ComputeBytes(cfg.hardware) != 2) {
    throw std::invalid_argument("hardware.dtype " + cfg.hardware.dtype +
                                ": the speed projection assumes 16-bit compute on tensor cores");
  }
  const StepWork w = TrainingStepWork(cfg, sweeps::PresetShape(cfg.model.preset));
  const double flops_per_s = profile.bf16_tflops * 1e12;
  const double bytes_per_s = profile.bandwidth_gbps * 1e9 * k.bandwidth_efficiency;
  SpeedProjection p;
  p.profile = profile.name;
  p.gemm_seconds = w.gemm_flops / (flops_per_s * k.gemm_efficiency);
  p.dequant_seconds = w.dequant_bytes / bytes_per_s;
  p.gpu_seconds = p.gemm_seconds + p.dequant_seconds;
  p.host_seconds = k.host_seconds_per_32_layers * static_cast<double>(w.layers) / 32.0 *
                   static_cast<double>(w.micro_batches);
  const bool eight_bit = cfg.optim.name.find("8bit") != std::string::npos;
  p.optimizer_seconds =
      static_cast<double>(w.lora_tensors) *
      (eight_bit ? k.optimizer_seconds_per_tensor_8bit : k.optimizer_seconds_per_tensor_fp32);
  p.step_seconds = std::max(p.gpu_seconds, p.host_seconds) + p.optimizer_seconds;
  const double fast_gpu = w.gemm_flops / (flops_per_s * kGemmEfficiencyHigh) + p.dequant_seconds;
  p.step_seconds_fast = std::max(fast_gpu, p.host_seconds) + p.optimizer_seconds;
  p.tokens_per_second = static_cast<double>(w.tokens) / p.step_seconds;
  p.steps_per_second = 1.0 / p.step_seconds;
  return p;
}

double EpochSeconds(const sweeps::TrialConfig& cfg, const SpeedProjection& p, int64_t samples) {
  const int64_t per_step = static_cast<int64_t>(cfg.train.micro_batch) * cfg.train.grad_accum;
  const int64_t steps = (samples + per_step - 1) / per_step;
  return static_cast<double>(steps) * p.step_seconds;
}

TextTable SpeedTable(const sweeps::TrialConfig& cfg, const SpeedProjection& p, int64_t samples,
                     int epochs) {
  const SpeedCalibration k;
  const double epoch = EpochSeconds(cfg, p, samples);
  const double fast_ratio = p.step_seconds_fast / p.step_seconds;
  TextTable t;
  t.headers = {"quantity", "value", "note"};
  t.rows.push_back(
      {"GEMM time", Format("%.3f s", p.gemm_seconds),
       "step FLOPs / (" + p.profile + " bf16 peak x " + Format("%.2f", k.gemm_efficiency) + ")"});
  t.rows.push_back({"dequantization time", Format("%.3f s", p.dequant_seconds),
                    "4-bit reads + 16-bit writes, every pass / (bandwidth x " +
                        Format("%.2f", k.bandwidth_efficiency) + ")"});
  t.rows.push_back({"host floor", Format("%.3f s", p.host_seconds),
                    "kernel issue time per micro-batch (H200 host), the step's lower bound"});
  t.rows.push_back({"optimizer", Format("%.3f s", p.optimizer_seconds),
                    "launch-bound, per adapter tensor (H200 host)"});
  t.rows.push_back({"step time", Format("%.3f s", p.step_seconds),
                    "max(GPU, host floor) + optimizer; fast end " +
                        Format("%.3f s", p.step_seconds_fast) + " (GEMM at " +
                        Format("%.2f", kGemmEfficiencyHigh) + " of peak)"});
  t.rows.push_back({"tokens/s", Format("%.0f", p.tokens_per_second),
                    "fast end " + Format("%.0f", p.tokens_per_second / fast_ratio)});
  t.rows.push_back({"optimizer steps/s", Format("%.3f", p.steps_per_second),
                    "micro-batch " + std::to_string(cfg.train.micro_batch) + " x accumulation " +
                        std::to_string(cfg.train.grad_accum)});
  t.rows.push_back({"time per epoch", Duration(epoch),
                    std::to_string(samples) + " sequences of " + std::to_string(cfg.data.seq_len) +
                        " tokens; fast end " + Duration(epoch * fast_ratio)});
  t.rows.push_back({"time for " + std::to_string(epochs) + " epochs", Duration(epoch * epochs),
                    "fast end " + Duration(epoch * epochs * fast_ratio)});
  return t;
}

std::string SpeedReport(const sweeps::TrialConfig& cfg, const sweeps::GpuProfile& profile,
                        int64_t samples, int epochs, TableFormat format) {
  if (format != TableFormat::kMarkdown) {
    return Render(SpeedTable(cfg, ProjectSpeed(cfg, profile), samples, epochs), format);
  }
  std::string out = "\nSpeed projection on " + profile.name + " (" +
                    Format("%.1f", profile.bf16_tflops) + " bf16 TFLOP/s, " +
                    Format("%.0f", profile.bandwidth_gbps) + " GB/s):";
  try {
    const SpeedProjection p = ProjectSpeed(cfg, profile);
    out += "\n\n" + Render(SpeedTable(cfg, p, samples, epochs), format);
    out +=
        "\nA roofline with the GEMM and bandwidth efficiencies measured on an H200, not a "
        "measurement on this card: on the H200 it predicts measured steps within 9% at seq >= "
        "2048 (28% fast at 1024, where host and GPU time overlap in part); the card's own "
        "efficiency may be higher "
        "(the fast end) or lower under a laptop power limit (docs/speed-projection.md).\n";
  } catch (const std::invalid_argument& e) {
    out += " none: " + std::string(e.what()) + ".\n";
  }
  return out;
}

}  // namespace qlsweep::analysis
