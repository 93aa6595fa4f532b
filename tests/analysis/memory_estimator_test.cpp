// The memory estimator: exact byte counts of its parts, and the whole against a measured peak.
#include "analysis/memory_estimator.h"

#include <gtest/gtest.h>

#include "analysis/estimate_table.h"
#include "sweeps/load.h"

namespace qlsweep::analysis {
namespace {

// A trial resolved from dotted keys over the schema defaults.
sweeps::TrialConfig Trial(const nlohmann::json& keys) { return sweeps::ResolveTrial(keys); }

// The configuration the lead measured on an H200: Llama-2-7B shape, bf16 base (no 4-bit), LoRA
// r=16 on all 7 projections, seq 2048, micro-batch 1, gradient checkpointing, AdamW.
sweeps::TrialConfig Measured7b() {
  return Trial({{"model.preset", "llama2-7b"},
                {"quantization.type", "none"},
                {"lora.r", 16},
                {"data.seq_len", 2048},
                {"train.micro_batch", 1},
                {"train.grad_checkpointing", true},
                {"optim.name", "adamw"},
                {"hardware.device", "cuda"},
                {"hardware.dtype", "bf16"}});
}

int64_t Component(const MemoryEstimate& e, const std::string& prefix) {
  for (const auto& c : e.components) {
    if (c.name.rfind(prefix, 0) == 0) return c.bytes;
  }
  ADD_FAILURE() << "no component starting with '" << prefix << "'";
  return -1;
}

TEST(AnalysisMemory, ProjectionsAddUpToTheShapesLinearParams) {
  for (const char* preset : {"tiny", "smollm2-135m", "llama2-7b", "llama3-8b"}) {
    const auto shape = sweeps::PresetShape(preset);
    int64_t sum = 0;
    for (const auto& p : Projections(shape)) sum += p.in * p.out;
    EXPECT_EQ(shape.layers * sum, shape.LinearParams()) << preset;
  }
  // Grouped-query attention: llama3-8b's k and v project to Hkv * hd = 8 * 128 = 1024.
  EXPECT_EQ(Projections(sweeps::PresetShape("llama3-8b"))[1].out, 1024);
}

TEST(AnalysisMemory, LoraParamsOfLlama2_7bRank16OnAllTargets) {
  const auto shape = sweeps::PresetShape("llama2-7b");
  // 32 layers * 16 * (4 * (4096 + 4096) + 3 * (4096 + 11008)).
  EXPECT_EQ(LoraParams(shape, Measured7b().lora), 39'976'960);
  sweeps::LoraConfig qv = Measured7b().lora;  // r = 16
  qv.targets = {"q", "v"};
  EXPECT_EQ(LoraParams(shape, qv), 32 * 16 * 2 * (4096 + 4096));
}

TEST(AnalysisMemory, Nf4WithoutDoubleQuantIs4Point5BitsPerParam) {
  const auto shape = sweeps::PresetShape("llama2-7b");
  sweeps::QuantizationConfig q{"nf4", false, 64, {}};
  // Every projection's size is a multiple of 64: n/2 + 4 * n/64 = n * 9/16 bytes exactly.
  EXPECT_EQ(BaseLinearBytes(shape, q, 2), shape.LinearParams() * 9 / 16);
  EXPECT_EQ(BaseLinearBytes(shape, q, 2), 3'642'753'024);
}

TEST(AnalysisMemory, Nf4WithDoubleQuantIsAbout4Point127BitsPerParam) {
  const auto shape = sweeps::PresetShape("llama2-7b");
  sweeps::QuantizationConfig q{"nf4", true, 64, {}};
  // One q projection, 4096 x 4096: codes 8,388,608 + 8-bit absmax 262,144 + fp32 scale per 256
  // absmax 1,024 * 4 + offset 4.
  EXPECT_EQ(QuantizedTensorBytes(4096 * 4096, q), 8'388'608 + 262'144 + 4'096 + 4);
  const double bits = 8.0 * static_cast<double>(BaseLinearBytes(shape, q, 2)) /
                      static_cast<double>(shape.LinearParams());
  EXPECT_NEAR(bits, 4.127, 0.0005);
  // An odd size rounds up: 65 weights -> 33 code bytes, 2 blocks.
  EXPECT_EQ(QuantizedTensorBytes(65, {"nf4", false, 64, {}}), 33 + 8);
  EXPECT_EQ(QuantizedTensorBytes(65, q), 33 + 2 + 4 + 4);
}

TEST(AnalysisMemory, AdamStatesFp32And8Bit) {
  EXPECT_EQ(AdamStateBytes(65'536, false), 8 * 65'536);
  EXPECT_EQ(AdamStateBytes(65'536, true), 2 * (65'536 + 4 * 256));
  EXPECT_EQ(AdamStateBytes(4'095, true), 8 * 4'095);  // small tensors keep fp32 states
  EXPECT_EQ(AdamStateBytes(4'096, true), 2 * (4'096 + 4 * 16));
}

TEST(AnalysisMemory, ComputeDtypeBytes) {
  EXPECT_EQ(ComputeBytes({"cuda", "auto", "", 1}), 2);
  EXPECT_EQ(ComputeBytes({"auto", "auto", "", 1}), 2);
  EXPECT_EQ(ComputeBytes({"cpu", "auto", "", 1}), 4);
  EXPECT_EQ(ComputeBytes({"cuda", "fp32", "", 1}), 4);
  EXPECT_EQ(ComputeBytes({"cpu", "bf16", "", 1}), 2);
  EXPECT_EQ(ComputeBytes({"cuda", "fp16", "", 1}), 2);
}

TEST(AnalysisMemory, WeightsOfTheMeasured7bTrialEqualItsAllocationAfterLoad) {
  // Measured by the lead on an H200: 13,556,785,152 bytes allocated after the model was built
  // (bf16 projections + embeddings, lm_head and norms + bf16 LoRA adapters). Derived here:
  // 6,476,005,376 * 2 + (2 * 32000 * 4096 + 65 * 4096) * 2 + 39,976,960 * 2.
  const MemoryEstimate e = EstimateMemory(Measured7b());
  EXPECT_EQ(
      Component(e, "base weights") + Component(e, "embeddings") + Component(e, "LoRA adapters"),
      13'556'785'152);
}

TEST(AnalysisMemory, PeakOfTheMeasured7bTrialIsWithinTenPercent) {
  // Measured by the lead on an H200 (same config): peak allocated 14,814,661,120, peak reserved
  // 15,219,032,064, device-level peak 16,023,093,248. The estimate (see docs/memory-estimator.md)
  // gave allocated 15,354,765,312 (+3.6%), reserved 16,122,503,577 (+5.9%), device-level
  // 16,927,809,945 (+5.6%): above the measurement on every count, as a fits-verdict should be.
  // Since the loss chunk is sized by bytes (384 tokens for V = 32,000 instead of 1,024;
  // sweeps/loss_chunk.h) the estimate is 204,800,000 bytes lower: allocated 15,149,965,312
  // (+2.3% over that measurement, taken with 1,024-token chunks), and since the LoRA update keeps
  // its dropout mask but no dropped copy of its input (trainer/peft/lora_projection.h)
  // 15,004,213,248 (+1.3%), and since the fused SwiGLU kernel keeps no act(gate) on CUDA
  // (trainer/model/fused_ops.h) 14,959,124,480 (+1.0%), and since one layer's MLP backward
  // gradients are counted (2*B*T*F*c, seen at the 7B step's peak in session 7's allocator history)
  // 15,049,302,016 (+1.6%; that measurement predates all four).
  // Part of the excess is known: the estimate counts AdamW states in fp32 (320 MB) while
  // torch::optim::AdamW on bf16 parameters keeps them in bf16 (160 MB), and it assumes the loss
  // buffers and a layer's recompute are live at the same moment.
  const MemoryEstimate e = EstimateMemory(Measured7b());
  const double measured = 14'814'661'120.0;
  EXPECT_NEAR(static_cast<double>(e.allocated_bytes), measured, 0.10 * measured);
  EXPECT_GE(e.allocated_bytes, 14'814'661'120);
  EXPECT_EQ(e.allocated_bytes, 15'049'302'016);
  EXPECT_NEAR(static_cast<double>(e.total_bytes), 16'023'093'248.0, 0.10 * 16'023'093'248.0);
  EXPECT_EQ(e.context_bytes, kCudaContextBytes);
  EXPECT_EQ(e.reserved_bytes, e.allocated_bytes + e.fragmentation_bytes);
  EXPECT_EQ(e.total_bytes, e.reserved_bytes + e.context_bytes);
}

TEST(AnalysisMemory, ComponentsSumToTheAllocatedPeak) {
  const MemoryEstimate e = EstimateMemory(Trial({{"model.preset", "llama2-7b"}}));
  int64_t sum = 0;
  for (const auto& c : e.components) {
    EXPECT_GE(c.bytes, 0) << c.name;
    sum += c.bytes;
  }
  EXPECT_EQ(sum, e.allocated_bytes);
}

TEST(AnalysisMemory, CheckpointingKeepsOneLayersWorkingSetInsteadOfAll) {
  auto with = Trial({{"model.preset", "llama2-7b"}, {"data.seq_len", 1024}});
  auto without = with;
  without.train.grad_checkpointing = false;
  const MemoryEstimate a = EstimateMemory(with), b = EstimateMemory(without);
  const int64_t saved = Component(a, "activations: saved");
  const int64_t working = Component(a, "activations: one layer");
  EXPECT_EQ(saved, 32LL * 1024 * 4096 * 2);
  EXPECT_EQ(Component(b, "activations: all layers"), saved + 32 * working);
}

// Attention kept (train.recompute_attention false): on the 7B at seq 4096 a layer's q, k, v and
// output are 4 * 4096 * 4096 * 2 bytes (128 MiB) and its log-sum-exp 32 * 4096 * 4 (512 KiB).
// On the device the other 31 layers' wait; offloaded, one layer's worth is allowed.
TEST(AnalysisMemory, KeptAttentionAddsTheLayersItKeepsOnTheDevice) {
  const auto recompute = Trial({{"model.preset", "llama2-7b"}, {"data.seq_len", 4096}});
  auto kept = recompute;
  kept.train.recompute_attention = false;
  auto kept_offloaded = kept;
  kept_offloaded.train.offload_activations = true;
  auto offloaded = recompute;
  offloaded.train.offload_activations = true;
  const int64_t layer = 4LL * 4096 * 4096 * 2, lse = 32LL * 32 * 4096 * 4;
  EXPECT_EQ(Component(EstimateMemory(kept), "activations: kept attention"), 31 * layer + lse);
  EXPECT_EQ(Component(EstimateMemory(kept_offloaded), "activations: kept attention"), layer + lse);
  EXPECT_EQ(EstimateMemory(kept).allocated_bytes - EstimateMemory(recompute).allocated_bytes,
            31 * layer + lse);
  EXPECT_EQ(
      EstimateMemory(kept_offloaded).allocated_bytes - EstimateMemory(offloaded).allocated_bytes,
      layer + lse);
  for (const auto& c : EstimateMemory(recompute).components) {
    EXPECT_NE(c.name, "activations: kept attention");
  }
}

TEST(AnalysisMemory, ActivationsAndLossGrowWithTokensWeightsDoNot) {
  auto short_seq = Trial({{"model.preset", "llama2-7b"}, {"data.seq_len", 1024}});
  auto long_seq = short_seq;
  long_seq.data.seq_len = 2048;
  auto batch2 = short_seq;
  batch2.train.micro_batch = 2;
  const MemoryEstimate a = EstimateMemory(short_seq), b = EstimateMemory(long_seq),
                       c = EstimateMemory(batch2);
  EXPECT_EQ(Component(b, "activations: saved"), 2 * Component(a, "activations: saved"));
  EXPECT_EQ(Component(b, "activations: one layer"), 2 * Component(a, "activations: one layer"));
  EXPECT_EQ(Component(b, "base weights"), Component(a, "base weights"));
  EXPECT_EQ(b.allocated_bytes, c.allocated_bytes);  // only B * T matters
  // Loss chunk capped at 1024 tokens: only the 2*B*T*D*c hidden-state part grows.
  EXPECT_EQ(Component(b, "logits") - Component(a, "logits"), 2LL * 1024 * 4096 * 2);
}

TEST(AnalysisMemory, PagedEightBitOptimizerIsSmallerAndPageable) {
  auto fp32 = Trial({{"model.preset", "llama2-7b"}, {"optim.name", "adamw"}});
  auto paged = Trial({{"model.preset", "llama2-7b"}, {"optim.name", "paged_adamw_8bit"}});
  const MemoryEstimate a = EstimateMemory(fp32), b = EstimateMemory(paged);
  const int64_t states_fp32 = Component(a, "optimizer"), states_8bit = Component(b, "optimizer");
  EXPECT_EQ(states_fp32, 8 * 39'976'960);
  EXPECT_EQ(states_8bit, 2 * (39'976'960 + 4 * (39'976'960 / 256)));
  EXPECT_EQ(a.pageable_bytes, 0);
  EXPECT_EQ(b.pageable_bytes, states_8bit);
}

TEST(AnalysisMemory, DequantizedWeightOnlyForA4BitBase) {
  auto nf4 = Trial({{"model.preset", "llama2-7b"}});
  auto none = Trial({{"model.preset", "llama2-7b"}, {"quantization.type", "none"}});
  EXPECT_EQ(Component(EstimateMemory(nf4), "dequantized"), 11008LL * 4096 * 2);
  EXPECT_EQ(Component(EstimateMemory(none), "dequantized"), 0);
}

TEST(AnalysisMemory, SkipListDecidesWhetherEmbeddingsAre4Bit) {
  auto kept = Trial({{"model.preset", "llama2-7b"}});
  auto quantized = Trial({{"model.preset", "llama2-7b"}, {"quantization.skip", {"norm"}}});
  const int64_t norms = 65 * 4096 * 2;
  EXPECT_EQ(Component(EstimateMemory(kept), "embeddings"), 2LL * 32000 * 4096 * 2 + norms);
  EXPECT_EQ(Component(EstimateMemory(quantized), "embeddings"),
            2 * QuantizedTensorBytes(32000 * 4096, kept.quantization) + norms);
}

TEST(AnalysisMemory, CpuTrialHasNoCudaContextAndFp32) {
  auto cpu = Trial({{"model.preset", "tiny"}, {"hardware.device", "cpu"}});
  const MemoryEstimate e = EstimateMemory(cpu);
  EXPECT_EQ(e.context_bytes, 0);
  EXPECT_EQ(Component(e, "LoRA adapters"), LoraParams(sweeps::PresetShape("tiny"), cpu.lora) * 4);
}

TEST(AnalysisMemory, QloraOn7bFitsA6GbLaptopAtShortSequencesOnly) {
  const sweeps::GpuProfile* card = sweeps::FindGpuProfile("rtx4050-laptop-6gb");
  ASSERT_NE(card, nullptr);
  auto at = [&](int seq) {
    return Judge(EstimateMemory(Trial({{"model.preset", "llama2-7b"}, {"data.seq_len", seq}})),
                 *card);
  };
  const Verdict short_seq = at(512), long_seq = at(4096);
  EXPECT_TRUE(short_seq.fits);
  EXPECT_GT(short_seq.margin_bytes, 0);
  EXPECT_FALSE(long_seq.fits);
  EXPECT_LT(long_seq.margin_bytes, 0);
  EXPECT_EQ(short_seq.budget_bytes, 6141LL << 20);
  // The bf16 base alone (13 GB) is far beyond 6 GB.
  EXPECT_FALSE(Judge(EstimateMemory(Measured7b()), *card).fits);
}

TEST(AnalysisMemory, UnknownPresetThrows) {
  auto t = Trial({{"model.preset", "tiny"}});
  t.model.preset = "llama9";
  EXPECT_THROW(EstimateMemory(t), std::invalid_argument);
}

}  // namespace
}  // namespace qlsweep::analysis

namespace qlsweep::analysis {
namespace {

// Device peaks per rank measured on two H200s (bench/sharded.sh, bench/sweeps/sharded-7b.yaml,
// 2026-11-29, docs/results.md): one GPU 6.26 GiB; 2 ranks at stages 0-2 6.97 GiB; stage 3 5.44
// GiB. The per-rank estimate must stay within 10% of each.
TEST(AnalysisMemory, ShardedTrialsPerRankWithinTenPercentOfTheH200Measurement) {
  struct Case {
    int gpus, stage;
    double measured_gib;
  };
  for (const auto& c :
       {Case{1, 0, 6.26}, Case{2, 0, 6.97}, Case{2, 1, 6.97}, Case{2, 2, 6.97}, Case{2, 3, 5.44}}) {
    const auto e = EstimateMemory(Trial({{"model.preset", "llama2-7b"},
                                         {"lora.r", 16},
                                         {"lora.dropout", 0.0},
                                         {"data.seq_len", 2048},
                                         {"hardware.device", "cuda"},
                                         {"hardware.gpus", c.gpus},
                                         {"distributed.zero_stage", c.stage}}));
    const double measured = c.measured_gib * 1073741824.0;
    EXPECT_NEAR(static_cast<double>(e.total_bytes), measured, 0.10 * measured)
        << c.gpus << " GPUs, stage " << c.stage;
  }
}

TEST(AnalysisMemory, ZeroStagesDivideTheirPartsByTheRanks) {
  auto at = [](int gpus, int stage) {
    return EstimateMemory(Trial({{"model.preset", "llama2-7b"},
                                 {"hardware.device", "cuda"},
                                 {"hardware.gpus", gpus},
                                 {"distributed.zero_stage", stage}}));
  };
  const auto one = at(1, 0), s0 = at(4, 0), s1 = at(4, 1), s3 = at(4, 3);
  EXPECT_EQ(s0.context_bytes, one.context_bytes + kNcclContextBytes);
  EXPECT_NEAR(static_cast<double>(Component(s1, "optimizer states")),
              static_cast<double>(Component(s0, "optimizer states")) / 4, 4096);
  EXPECT_NEAR(static_cast<double>(Component(s3, "base weights")),
              static_cast<double>(Component(s0, "base weights")) / 4, 4);
  EXPECT_GT(Component(s3, "gathered decoder layer"), 0);
  for (const auto& c : s0.components) EXPECT_EQ(c.name.rfind("gathered", 0), std::string::npos);
}

// Full fine-tuning of SmolLM2-135M (tied embeddings) in bf16 with fp32 AdamW: weights, their
// gradients (c bytes each) and 8 bytes of moments per parameter, exactly; no adapter rows.
TEST(AnalysisMemory, FullFineTuningCountsEveryWeightWithGradientAndStates) {
  const auto full = Trial({{"model.preset", "smollm2-135m"},
                           {"train.method", "full"},
                           {"quantization.type", "none"},
                           {"optim.name", "adamw"},
                           {"hardware.device", "cuda"},
                           {"hardware.dtype", "bf16"}});
  const auto shape = sweeps::PresetShape("smollm2-135m");
  const int64_t n = shape.TotalParams();
  const auto e = EstimateMemory(full);
  EXPECT_EQ(Component(e, "weights (7 projections") + Component(e, "embeddings, lm_head, norms"),
            n * 2);
  EXPECT_EQ(Component(e, "gradients (every weight)"), n * 2);
  EXPECT_EQ(Component(e, "optimizer states (adamw)"), n * 8);
  EXPECT_EQ(Component(e, "output weight gradient"), shape.vocab * shape.hidden * (4 + 2));
  for (const auto& c : e.components) EXPECT_EQ(c.name.find("LoRA"), std::string::npos) << c.name;
  int64_t sum = 0;
  for (const auto& c : e.components) sum += c.bytes;
  EXPECT_EQ(sum, e.allocated_bytes);
  // LoRA rank, targets and dropout are ignored (and reset by the schema) for full trials.
  auto other = full;
  other.lora.r = 64;
  other.lora.dropout = 0.1;
  EXPECT_EQ(EstimateMemory(other).total_bytes, e.total_bytes);
  // 8-bit states: 2 bytes + 8/256 per element, fp32 for tensors under 4096 elements (the 576-wide
  // norms of SmolLM2).
  auto eight = full;
  eight.optim.name = "adamw_8bit";
  const int64_t norms = (2 * shape.layers + 1) * shape.hidden;
  const int64_t big = n - norms;
  EXPECT_EQ(Component(EstimateMemory(eight), "optimizer states (adamw_8bit)"),
            norms * 8 + 2 * big + 8 * (big / 256));
  // Against LoRA on the same 16-bit base: more than the weights again (gradients) plus states.
  const auto lora = Trial({{"model.preset", "smollm2-135m"},
                           {"quantization.type", "none"},
                           {"optim.name", "adamw"},
                           {"hardware.device", "cuda"},
                           {"hardware.dtype", "bf16"}});
  EXPECT_GT(e.total_bytes - EstimateMemory(lora).total_bytes, n * (2 + 8) / 2);
  EXPECT_EQ(EstimateHeadline(full).rfind("smollm2-135m, full fine-tuning (every weight", 0), 0u)
      << EstimateHeadline(full);
}

}  // namespace
}  // namespace qlsweep::analysis
