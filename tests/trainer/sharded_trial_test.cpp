// Sharded trials on the CPU under the real launcher (mpirun --oversubscribe): N ranks x
// micro-batch b equal one rank with N times the accumulation, and every ZeRO stage (3: the
// frozen 4-bit base sharded too) equals stage 0.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/events.h"
#include "protocol/result_keys.h"
#include "tests/support/scratch.h"
#include "trainer/io/safetensors.h"

namespace qlsweep::trainer {
namespace {

using nlohmann::json;
namespace ev = protocol::event;
namespace f = protocol::field;

struct Run {
  std::vector<double> losses, grad_norms, evals;
  json done;
  std::string adapter_dir;
};

// Runs `qlsweep train` on `trial` (YAML text), under `mpirun -np ranks` when ranks > 1.
Run Train(const std::string& name, const std::string& trial, int ranks) {
  const auto dir = qlsweep::testing::ScratchPath("sharded/" + name);
  std::filesystem::create_directories(dir);
  const auto file = dir + "/trial.yaml";
  std::ofstream(file) << trial;
  Run run;
  run.adapter_dir = dir + "/adapter";
  std::string cmd = std::string(QLSWEEP_BINARY_DIR) + "/runner/qlsweep train " + file +
                    " --save-adapter " + run.adapter_dir + " 2>" + dir + "/stderr.log";
  if (ranks > 1) {
    cmd = std::string(QLSWEEP_MPIEXEC) + " -np " + std::to_string(ranks) +
          " --oversubscribe --bind-to none" + (::geteuid() == 0 ? " --allow-run-as-root " : " ") +
          "-x OMP_NUM_THREADS=1 " + cmd;
  }
  FILE* out = ::popen(cmd.c_str(), "r");
  EXPECT_NE(out, nullptr);
  char line[1 << 16];
  while (out != nullptr && std::fgets(line, sizeof(line), out) != nullptr) {
    const auto e = json::parse(line, nullptr, false);
    if (!e.is_object()) continue;
    if (e[ev::kKey] == ev::kStep) {
      run.losses.push_back(e[f::kLoss].get<double>());
      run.grad_norms.push_back(e[f::kGradNorm].get<double>());
    }
    if (e[ev::kKey] == ev::kEval) run.evals.push_back(e[f::kEvalLoss].get<double>());
    if (e[ev::kKey] == ev::kDone) run.done = e;
    if (e[ev::kKey] == ev::kError || e[ev::kKey] == ev::kOom) ADD_FAILURE() << e.dump();
  }
  EXPECT_EQ(out != nullptr ? ::pclose(out) : -1, 0) << cmd;
  return run;
}

std::string Trial(int ranks, int accum, int stage, const std::string& optim, double max_norm) {
  return "model: {preset: tiny}\n"
         "data: {seq_len: 32}\n"
         "train: {steps: 4, micro_batch: 2, grad_accum: " +
         std::to_string(accum) + ", warmup_steps: 1, max_grad_norm: " + std::to_string(max_norm) +
         ", seed: 5}\n"
         "lora: {r: 8, alpha: 16, dropout: 0.0}\n"
         "optim: {name: " +
         optim +
         ", lr: 0.02}\n"
         "eval: {sequences: 7, interval: 2}\n"
         "hardware: {device: cpu, dtype: fp32, gpus: " +
         std::to_string(ranks) +
         "}\n"
         "distributed: {zero_stage: " +
         std::to_string(stage) + "}\n";
}

// Relative tolerance of every comparison: 1e-5 (fp32 sums in another order: the gradients are
// summed over ranks, the norm over one flat buffer, the eval sums over ranks).
constexpr double kRel = 1e-5;

void ExpectClose(const std::vector<double>& got, const std::vector<double>& want,
                 const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i], want[i], kRel * std::abs(want[i])) << what << " [" << i << "]";
  }
}

// Every adapter tensor: ||a - b|| <= kRel * ||b|| (Frobenius). Element by element the ranks'
// sums may differ more: an all-reduce adds the ranks' gradients in another order than one rank's
// accumulation does (a tree over 4 ranks), and AdamW turns a last-bit change of a gradient whose
// magnitude is near its eps (1e-8) into a visibly different step for that element (seen: 4e-5 of
// the tensor's largest value on a handful of elements of lora_A). With the same order (2 ranks,
// stage 0) the adapters are bit-identical.
void ExpectSameAdapters(const std::string& a_dir, const std::string& b_dir) {
  const SafetensorsFile a(a_dir + "/adapter_model.safetensors");
  const SafetensorsFile b(b_dir + "/adapter_model.safetensors");
  ASSERT_EQ(a.entries().size(), b.entries().size());
  for (const auto& [name, entry] : b.entries()) {
    ASSERT_TRUE(a.Has(name)) << name;
    const auto ta = a.Read(name).to(torch::kFloat64), tb = b.Read(name).to(torch::kFloat64);
    const double scale = std::max(tb.norm().item<double>(), 1e-12);
    EXPECT_LE((ta - tb).norm().item<double>(), kRel * scale) << name;
  }
}

void ExpectSameRun(const Run& got, const Run& want) {
  ExpectClose(got.losses, want.losses, "loss");
  ExpectClose(got.grad_norms, want.grad_norms, "grad_norm");
  ExpectClose(got.evals, want.evals, "eval_loss");
  ExpectSameAdapters(got.adapter_dir, want.adapter_dir);
}

class ShardedEqualsAccumulation : public ::testing::TestWithParam<int> {};

// fp32 AdamW (elementwise, so the flat buffer updates exactly as per-tensor states do), clipping
// active (max_grad_norm 0.2 is below the norms of this run).
TEST_P(ShardedEqualsAccumulation, NRanksMatchOneRankWithNTimesTheAccumulation) {
  const int n = GetParam();
  const auto one = Train("one-" + std::to_string(n), Trial(1, n, 0, "adamw", 0.2), 1);
  const auto many = Train("many-" + std::to_string(n), Trial(n, 1, 0, "adamw", 0.2), n);
  ASSERT_EQ(one.losses.size(), 4u);
  ExpectSameRun(many, one);
  EXPECT_EQ(many.done[protocol::result::kWorldSize], n);
  EXPECT_EQ(many.done[f::kRankPeaks].size(), static_cast<size_t>(n));
}

INSTANTIATE_TEST_SUITE_P(WorldSizes, ShardedEqualsAccumulation, ::testing::Values(2, 3, 4),
                         [](const auto& info) { return "ranks" + std::to_string(info.param); });

struct StageCase {
  int ranks;
  int stage;
};

class ZeroStageEqualsStageZero : public ::testing::TestWithParam<StageCase> {};

// 8-bit AdamW: the flat buffer's 256-blocks are the same in every stage (partitions are whole
// blocks), so each stage's states quantize exactly as stage 0's do.
TEST_P(ZeroStageEqualsStageZero, SameLossesNormsAndAdapters) {
  const auto [n, stage] = GetParam();
  const auto tag = std::to_string(n) + "-" + std::to_string(stage);
  const auto base = Train("stage0-" + tag, Trial(n, 2, 0, "adamw_8bit", 0.2), n);
  const auto sharded = Train("stage-" + tag, Trial(n, 2, stage, "adamw_8bit", 0.2), n);
  ExpectSameRun(sharded, base);
}

INSTANTIATE_TEST_SUITE_P(Stages, ZeroStageEqualsStageZero,
                         ::testing::Values(StageCase{2, 1}, StageCase{2, 2}, StageCase{2, 3},
                                           StageCase{3, 1}, StageCase{3, 2}, StageCase{3, 3},
                                           StageCase{4, 2}),
                         [](const auto& info) {
                           return "ranks" + std::to_string(info.param.ranks) + "_stage" +
                                  std::to_string(info.param.stage);
                         });

// ZeRO-3 gathers each layer's base around its forward and again around its checkpointed
// recompute; keeping attention (train.recompute_attention false, parked by the activation offload)
// changes what the recompute runs, not what it computes: the same run as the full recompute.
TEST(ShardedKeptAttention, Zero3TrainsAsWithTheFullRecompute) {
  const std::string trial = Trial(2, 1, 3, "adamw_8bit", 0.2) + "train.offload_activations: true\n";
  const auto full = Train("kept-attention-full", trial, 2);
  const auto kept = Train("kept-attention-kept", trial + "train.recompute_attention: false\n", 2);
  ASSERT_EQ(full.losses.size(), 4u);
  ExpectSameRun(kept, full);
}

// The adapter a sharded trial saves (rank 0, one PEFT folder) loads into a one-rank trial that
// only evaluates (train.steps 0) and scores the same eval loss on the same rows.
TEST(ShardedAdapter, LoadsOnOneRankWithTheSameEvalLoss) {
  const auto sharded = Train("adapter-zero3", Trial(2, 1, 3, "adamw_8bit", 1.0), 2);
  ASSERT_FALSE(sharded.done.is_null());
  auto eval_only = Trial(1, 1, 0, "adamw_8bit", 1.0);
  eval_only.replace(eval_only.find("steps: 4"), 8, "steps: 0");
  eval_only.replace(eval_only.find("warmup_steps: 1"), 15, "warmup_steps: 0");
  eval_only.replace(eval_only.find("dropout: 0.0}"), 13,
                    "dropout: 0.0, init: " + sharded.adapter_dir + "}");
  const auto loaded = Train("adapter-one", eval_only, 1);
  ASSERT_FALSE(loaded.done.is_null());
  const double want = sharded.done[protocol::result::kFinalEvalLoss].get<double>();
  EXPECT_NEAR(loaded.done[protocol::result::kFinalEvalLoss].get<double>(), want, 1e-5 * want);
}

}  // namespace
}  // namespace qlsweep::trainer
