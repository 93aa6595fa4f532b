// e2e tier: the command line's rough edges: exit codes of argument errors, option spellings
// (--gpu-profile / --gpu, --save-adapter / --save-adapters), a --db that is a folder, trials that
// need CUDA on a machine without it, and the git revision recorded from the build.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "storage/run_index.h"
#include "tests/e2e/e2e_support.h"

namespace {

using qlsweep::e2e::Has;
using qlsweep::e2e::ReadText;

namespace fs = std::filesystem;
using qlsweep::e2e::RunQlsweep;
using qlsweep::protocol::TrialStatus;
using ConsistencyEndToEnd = qlsweep::e2e::E2eTest;

TEST_F(ConsistencyEndToEnd, ArgumentErrorsExitTwoAndHelpExitsZero) {
  struct Case {
    std::string args;
    int code;
    std::string message;
  };
  for (const auto& c : {
           Case{"run --retry-faild", 2, "--retry-faild"},
           Case{"table --format yaml", 2, "--format"},
           Case{"frobnicate", 2, "subcommand"},
           Case{"", 2, "A subcommand is required"},
           Case{"--help", 0, "Exit codes: 0 success"},
           Case{"run --help", 0, "--multirun"},
       }) {
    const auto result = RunQlsweep(c.args + " 2>&1");
    EXPECT_EQ(result.exit_code, c.code) << c.args << "\n" << result.out;
    EXPECT_TRUE(Has(result.out, c.message)) << c.args << "\n" << result.out;
  }
}

TEST_F(ConsistencyEndToEnd, GpuProfileFlagAndItsOldSpelling) {
  const std::string trial = " " QLSWEEP_SOURCE_DIR "/bench/trials/llama2-7b-qlora16.yaml";
  const auto profile = RunQlsweep("estimate" + trial + " --gpu-profile rtx4050-laptop-6gb");
  const auto gpu = RunQlsweep("estimate" + trial + " --gpu rtx4050-laptop-6gb");
  ASSERT_EQ(profile.exit_code, 0) << profile.out;
  EXPECT_EQ(profile.out, gpu.out);
  EXPECT_TRUE(Has(profile.out, "rtx4050-laptop-6gb")) << profile.out;
  const auto unknown = RunQlsweep("estimate" + trial + " --gpu-profile rtx4050 2>&1");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_TRUE(Has(unknown.out, "--gpu-profile: unknown GPU profile 'rtx4050'")) << unknown.out;
}

// estimate with a profile projects the speed (docs/speed-projection.md); --speed with csv/json
// gives that table alone; bad --samples / --epochs and --speed without a profile exit 2.
TEST_F(ConsistencyEndToEnd, EstimateProjectsSpeedOntoTheProfile) {
  const std::string trial = " " QLSWEEP_SOURCE_DIR "/bench/trials/llama2-7b-qlora16.yaml";
  const auto text = RunQlsweep("estimate" + trial +
                               " --gpu-profile rtx4050-laptop-6gb --samples "
                               "5000 --epochs 2 train.grad_accum=16");
  ASSERT_EQ(text.exit_code, 0) << text.out;
  EXPECT_TRUE(Has(text.out, "Speed projection on rtx4050-laptop-6gb")) << text.out;
  EXPECT_TRUE(Has(text.out, "5000 sequences of 2048 tokens")) << text.out;
  EXPECT_TRUE(Has(text.out, "| time for 2 epochs")) << text.out;
  EXPECT_TRUE(Has(text.out, "micro-batch 1 x accumulation 16")) << text.out;
  const auto csv = RunQlsweep("estimate" + trial +
                              " --gpu-profile rtx4050-laptop-6gb --speed "
                              "--format csv");
  ASSERT_EQ(csv.exit_code, 0) << csv.out;
  EXPECT_EQ(csv.out.rfind("quantity,value,note\n", 0), 0u) << csv.out;
  EXPECT_FALSE(Has(csv.out, "base weights")) << csv.out;
  for (const char* bad :
       {" --gpu-profile rtx4050-laptop-6gb --samples 0",
        " --gpu-profile rtx4050-laptop-6gb --epochs -1", " --speed --format csv"}) {
    const auto result = RunQlsweep("estimate" + trial + bad + " 2>&1");
    EXPECT_EQ(result.exit_code, 2) << bad << "\n" << result.out;
  }
  const auto no_bf16 = RunQlsweep("estimate" + trial + " --gpu-profile t4-16gb");
  ASSERT_EQ(no_bf16.exit_code, 0) << no_bf16.out;
  EXPECT_TRUE(Has(no_bf16.out, "none: GPU profile t4-16gb has no bf16 tensor path")) << no_bf16.out;
}

TEST_F(ConsistencyEndToEnd, DbThatIsAFolderIsRefusedClearly) {
  for (const char* command : {"table", "runs", "report", "compare a b", "run"}) {
    const auto result = RunQlsweep(std::string(command) + " --db " + dir_.string() + " 2>&1");
    EXPECT_EQ(result.exit_code, 2) << command << "\n" << result.out;
    EXPECT_TRUE(Has(result.out,
                    "--db " + dir_.string() + ": is a directory; --db names the SQLite run index"))
        << command << "\n"
        << result.out;
  }
}

TEST_F(ConsistencyEndToEnd, TrialsNeedingCudaAreRefusedBeforeAnythingRuns) {
  const auto sweep = WriteSweep(
      "name: profiled\ngpu_profile: rtx4050-laptop-6gb\nbase:\n  model: {preset: tiny}\n"
      "  quantization: {type: none}\n  data: {seq_len: 32}\n  train: {steps: 2, warmup_steps: 0}\n"
      "  optim: {name: adamw}\n  eval: {sequences: 2}\ngrid:\n  lora.r: [2, 4]\n");
  setenv("CUDA_VISIBLE_DEVICES", "-1", 1);  // for the children of RunQlsweep's shell
  auto refused = RunQlsweep("run " + sweep + " --db " + db_ + " --quiet 2>&1");
  EXPECT_EQ(refused.exit_code, 2) << refused.out;
  EXPECT_TRUE(Has(refused.out,
                  "2 trial(s) need a CUDA GPU (gpu profile rtx4050-laptop-6gb: "
                  "lora.r=2, lora.r=4), but this machine shows none"))
      << refused.out;
  EXPECT_FALSE(fs::exists(db_));
  auto plan = RunQlsweep("plan " + sweep + " 2>&1");
  EXPECT_EQ(plan.exit_code, 0) << plan.out;
  EXPECT_TRUE(Has(plan.out, "`run` would refuse them here")) << plan.out;
  // Without the profile they run, on the CPU.
  auto cpu = RunQlsweep("run " + sweep + " hardware.gpu_profile= --db " + db_ + " --quiet");
  unsetenv("CUDA_VISIBLE_DEVICES");
  EXPECT_EQ(cpu.exit_code, 0) << cpu.out;
  for (const auto& t : qlsweep::storage::RunIndex::OpenReadOnly(db_)->Trials("profiled")) {
    EXPECT_EQ(t.status, TrialStatus::kDone) << t.error;
  }
}

// Both spellings on both commands; the runs start outside any git checkout, and still record
// the revision the binary was built from.
TEST_F(ConsistencyEndToEnd, AdapterFlagsAndTheBuildsGitRevision) {
  const auto sweep = WriteSweep(qlsweep::e2e::TinyCpuSweep("adapters", "lora.r: [2]", 2));
  const auto cwd = fs::current_path();
  fs::current_path("/");
  auto run = RunQlsweep("run " + sweep + " --db " + db_ + " --quiet --save-adapter");
  fs::current_path(cwd);
  ASSERT_EQ(run.exit_code, 0) << run.out;
  auto index = qlsweep::storage::RunIndex::OpenReadOnly(db_);
  const auto trials = index->Trials("adapters");
  ASSERT_EQ(trials.size(), 1u);
  EXPECT_TRUE(fs::exists(dir_ / "adapters" / trials[0].id / "adapter_config.json"));

  const auto trial = dir_ / "trials" / (trials[0].id + ".json");
  const auto out = dir_ / "again";
  auto train = RunQlsweep("train " + trial.string() + " --save-adapters " + out.string());
  ASSERT_EQ(train.exit_code, 0) << train.out;
  EXPECT_TRUE(fs::exists(out / "adapter_model.safetensors"));

  // The revision the build recorded (cmake/BuildRevision.cmake), a commit of the source tree.
  const std::string header =
      ReadText(QLSWEEP_BINARY_DIR "/runner/generated/runner/build_revision.h");
  const auto quote = header.find("kBuildGitRevision = \"");
  ASSERT_NE(quote, std::string::npos) << header;
  const std::string built = header.substr(quote + 21, header.find('"', quote + 21) - quote - 21);
  if (built.empty()) return;  // not built from a checkout: no revision to record
  EXPECT_EQ(
      qlsweep::testing::RunShell("git -C " QLSWEEP_SOURCE_DIR " cat-file -e " + built + "^{commit}")
          .exit_code,
      0)
      << built;
  const auto rows =
      index
          ->Query("SELECT value FROM environment WHERE key = 'git_revision' AND trial_id = '" +
                  trials[0].id + "'")
          .rows;
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(*rows[0][0], built);
}

}  // namespace
