// The speed projection: its FLOP count by hand on a small shape, its predictions against steps
// measured on an H200 (the error model docs/speed-projection.md states), and its refusals.
#include "analysis/speed_projection.h"

#include <gtest/gtest.h>

#include "sweeps/gpu_profiles.h"
#include "sweeps/load.h"

namespace qlsweep::analysis {
namespace {

// The measured configuration: NF4 + double quant, r=16 on all 7 projections, micro-batch 1,
// checkpointing, bf16, paged 8-bit AdamW.
sweeps::TrialConfig QLora(const std::string& preset, int seq_len) {
  return sweeps::ResolveTrial({{"model.preset", preset},
                               {"lora.r", 16},
                               {"data.seq_len", seq_len},
                               {"train.micro_batch", 1},
                               {"hardware.device", "cuda"},
                               {"hardware.dtype", "bf16"}});
}

const sweeps::GpuProfile& Profile(const char* name) {
  const sweeps::GpuProfile* p = sweeps::FindGpuProfile(name);
  EXPECT_NE(p, nullptr) << name;
  return *p;
}

TEST(SpeedProjection, FlopsAndBytesOfAStepByHand) {
  // tiny: D 64, F 128 (or as the preset says), L layers; the count written out term by term.
  sweeps::TrialConfig cfg = QLora("tiny", 32);
  const sweeps::ModelShape s = sweeps::PresetShape("tiny");
  const double d = s.hidden, f = s.intermediate, v = s.vocab, l = s.layers;
  const double kv = static_cast<double>(s.kv_heads * s.head_dim());
  const double p = l * (2 * d * d + 2 * d * kv + 3 * d * f);
  ASSERT_EQ(p, static_cast<double>(s.LinearParams()));
  const double r = 16;
  const double p_lora = l * r * (2 * (d + d) + 2 * (d + kv) + 2 * (d + f) + (f + d));
  const double n = 32;
  // forward + recompute + backward: 3 passes of 2NP, less the recompute's down projection
  // (2N * L F D, skipped: its output feeds only the gradient); LoRA 2N P_lora twice and 4N P_lora
  // once; lm_head 4NVD; attention 9 T^2 D per layer.
  const double p_down = l * f * d;
  const double flops =
      6 * n * p - 2 * n * p_down + 8 * n * p_lora + 4 * n * v * d + l * 9 * 32 * 32 * d;
  StepWork w = TrainingStepWork(cfg, s);
  EXPECT_DOUBLE_EQ(w.gemm_flops, flops);
  // NF4 + double quant, block 64: per weight 1/2 + 1/64 + 4/(64*256) bytes (the fp32 offset is
  // amortised over 2^20 weights), then 2 bytes of bf16 written; three passes but the down
  // projection's two.
  EXPECT_NEAR(w.dequant_bytes, (p * 3 - p_down) * (0.5 + 1.0 / 64 + 4.0 / (64 * 256) + 2),
              p * 3 * 1e-5);
  EXPECT_EQ(w.lora_tensors, 2 * 7 * s.layers);
  EXPECT_EQ(w.tokens, 32);

  // Attention kept: the recompute skips q, k and v's base GEMMs (all three have adapters) and
  // attention's forward (2 T^2 D per layer), and their dequantization.
  cfg.train.recompute_attention = false;
  const double p_qkv = l * (d * d + 2 * d * kv);
  w = TrainingStepWork(cfg, s);
  EXPECT_DOUBLE_EQ(w.gemm_flops, flops - 2 * n * p_qkv - l * 2 * 32 * 32 * d);
  EXPECT_NEAR(w.dequant_bytes, (p * 3 - p_down - p_qkv) * (0.5 + 1.0 / 64 + 4.0 / (64 * 256) + 2),
              p * 3 * 1e-5);
  cfg.train.recompute_attention = true;

  cfg.train.grad_checkpointing = false;  // two passes
  cfg.train.grad_accum = 4;
  cfg.quantization.type = "none";
  w = TrainingStepWork(cfg, s);
  EXPECT_DOUBLE_EQ(w.gemm_flops,
                   4 * (4 * n * p + 6 * n * p_lora + 4 * n * v * d + l * 7 * 32 * 32 * d));
  EXPECT_EQ(w.dequant_bytes, 0);
  EXPECT_EQ(w.tokens, 128);
}

// Tokens/s measured on an H200 with the code of 2026-11-30 (bench/peers for Llama-2-7B,
// bench/levers.sh fits and fits2 for Llama-3-8B under the 8 GB profile, with activation offload,
// which costs no speed; docs/results.md), against the projection onto the h200-141gb profile.
// The efficiencies come from a kernel profile of one 7B step at seq 4096 (bench/profile.sh), so
// the steps are predictions, not fits: the 7B within 10% (+8% at 2048, +5% at 4096, -1% at 1024);
// seq 512 is where the host floor was taken (0%). The 8B is 16-19% fast: its 128,256-token
// vocabulary makes the loss's elementwise work (softmax over the logits) larger than the 7B's, and
// the roofline counts that work only through the 7B's calibration: within 20%.
TEST(SpeedProjection, PredictsTheStepsMeasuredOnAnH200) {
  struct Point {
    const char* preset;
    int seq;
    double measured_tokens_per_s;
    double tolerance;
  };
  for (const Point& m :
       {Point{"llama2-7b", 512, 4002, 0.02}, Point{"llama2-7b", 1024, 8097, 0.10},
        Point{"llama2-7b", 2048, 11023, 0.10}, Point{"llama2-7b", 4096, 11380, 0.10},
        Point{"llama3-8b", 3072, 9538, 0.20}, Point{"llama3-8b", 4096, 9390, 0.20},
        Point{"llama3-8b", 6144, 8997, 0.20}}) {
    const SpeedProjection p = ProjectSpeed(QLora(m.preset, m.seq), Profile("h200-141gb"));
    EXPECT_NEAR(p.tokens_per_second / m.measured_tokens_per_s, 1.0, m.tolerance)
        << m.preset << " seq " << m.seq << ": projected " << p.tokens_per_second << " tokens/s";
  }
}

TEST(SpeedProjection, TheRtx4050IsGpuBoundAndBelowItsPhysicalLimit) {
  // 6 x 6.7e9 FLOPs per token against 24.3 TFLOP/s: no more than ~600 tokens/s for 7B
  // (../shared/REFERENCE.md). The seed report's 0.8 steps/s at 16 x 2048 tokens is ~26k tokens/s.
  sweeps::TrialConfig cfg = QLora("llama2-7b", 2048);
  cfg.train.grad_accum = 16;
  const SpeedProjection p = ProjectSpeed(cfg, Profile("rtx4050-laptop-6gb"));
  EXPECT_GT(p.gpu_seconds, 10 * p.host_seconds / 16);
  EXPECT_LT(p.tokens_per_second, 600);
  EXPECT_GT(p.tokens_per_second, 100);
  EXPECT_LT(p.step_seconds_fast, p.step_seconds);
  EXPECT_NEAR(p.steps_per_second * p.step_seconds, 1.0, 1e-12);
  // 10,000 sequences at 16 per step: 625 steps.
  EXPECT_DOUBLE_EQ(EpochSeconds(cfg, p, 10000), 625 * p.step_seconds);
  EXPECT_DOUBLE_EQ(EpochSeconds(cfg, p, 10001), 626 * p.step_seconds);
}

TEST(SpeedProjection, RefusesWhatItCannotModel) {
  EXPECT_THROW(ProjectSpeed(QLora("llama2-7b", 512), Profile("t4-16gb")), std::invalid_argument);
  sweeps::TrialConfig sharded = QLora("llama2-7b", 512);
  sharded.hardware.gpus = 2;
  EXPECT_THROW(ProjectSpeed(sharded, Profile("h200-141gb")), std::invalid_argument);
  sweeps::TrialConfig weights = QLora("llama2-7b", 512);
  weights.model.weights = "/models/llama";
  EXPECT_THROW(ProjectSpeed(weights, Profile("h200-141gb")), std::invalid_argument);
  // The report says why instead of failing; CSV asks for the table and gets the error.
  const std::string text =
      SpeedReport(sharded, Profile("h200-141gb"), 10000, 3, TableFormat::kMarkdown);
  EXPECT_NE(text.find("none: hardware.gpus 2"), std::string::npos) << text;
  EXPECT_THROW(SpeedReport(sharded, Profile("h200-141gb"), 10000, 3, TableFormat::kCsv),
               std::invalid_argument);
}

}  // namespace
}  // namespace qlsweep::analysis
