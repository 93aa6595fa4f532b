// h5py (the reader analysis scripts use) reads series files: datasets, dtypes, string attributes.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "storage/series_file.h"
#include "tests/support/fetched.h"
#include "tests/support/process.h"
#include "tests/support/scratch.h"

namespace qlsweep::storage {
namespace {

using qlsweep::testing::Python;
using qlsweep::testing::RunShell;
using testing::ScratchDir;

constexpr const char* kCheckScript = R"py(
import json, math, sys
import h5py

path, swmr = sys.argv[1], sys.argv[2] == "swmr"
with h5py.File(path, "r", swmr=swmr) as f:
    trial_id = f.attrs["trial_id"]
    config = f.attrs["config"]
    assert isinstance(trial_id, str), type(trial_id)
    assert isinstance(config, str), type(config)
    assert trial_id == "t-h5py", trial_id
    assert json.loads(config) == {"lora": {"r": 16}, "note": "ünïcode"}, config
    assert sorted(f.keys()) == ["eval", "train"], list(f.keys())
    assert sorted(f["train"].keys()) == sorted(
        ["step", "loss", "lr", "grad_norm", "step_time_s", "tokens", "alloc_bytes",
         "reserved_bytes", "loss_scale", "skipped"]), list(f["train"].keys())
    for group in ("train", "eval"):
        for name, dataset in f[group].items():
            assert dataset.dtype == "float64", (name, dataset.dtype)
            assert dataset.ndim == 1 and dataset.maxshape == (None,), (name, dataset.maxshape)
            assert dataset.chunks == (256,), (name, dataset.chunks)
    step = f["train/step"][:].tolist()
    loss = f["train/loss"][:].tolist()
    assert step == [float(s) for s in range(300)], step[:5]
    assert loss == [0.5 * s for s in range(300)], loss[:5]
    lr = f["train/lr"][:]
    assert len(lr) == 300 and all(math.isnan(x) for x in lr), lr[:5]
    assert f["eval/eval_loss"][:].tolist() == [1.25], f["eval/eval_loss"][:]
print("h5py", h5py.__version__, "read", path)
)py";

// Writes what kCheckScript expects; with `die_open` the process SIGKILLs itself with the file open.
void WriteFile(const std::string& path, bool die_open) {
  SeriesFile file(path, "t-h5py", R"({"lora":{"r":16},"note":"ünïcode"})");
  for (int step = 0; step < 300; ++step)
    file.Append("train", {{"step", step}, {"loss", 0.5 * step}});
  file.Append("eval", {{"step", 299}, {"eval_loss", 1.25}});
  if (die_open) raise(SIGKILL);
}

class SeriesFileH5pyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    QLSWEEP_REQUIRE_FETCHED(RunShell(Python() + " -c 'import h5py' 2>&1").exit_code == 0,
                            "h5py (importable by '" + Python() + "')",
                            "scripts/setup installs it into the venv; or set QLSWEEP_PYTHON");
    script_ = dir_.File("check.py");
    std::ofstream(script_) << kCheckScript;
  }

  void ExpectH5pyReads(const std::string& path, const std::string& mode) {
    const auto run = RunShell(Python() + " '" + script_ + "' '" + path + "' " + mode + " 2>&1");
    EXPECT_EQ(run.exit_code, 0) << run.out;
    EXPECT_NE(run.out.find("read " + path), std::string::npos) << run.out;
  }

  ScratchDir dir_;
  std::string script_;
};

TEST_F(SeriesFileH5pyTest, ReadsAClosedFile) {
  const std::string path = dir_.File("closed.h5");
  WriteFile(path, /*die_open=*/false);
  ExpectH5pyReads(path, "plain");
}

TEST_F(SeriesFileH5pyTest, ReadsAFileWhoseWriterWasKilledInSwmrMode) {
  const std::string path = dir_.File("killed.h5");
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    try {
      WriteFile(path, /*die_open=*/true);
    } catch (...) {
    }
    _exit(3);  // only reached when writing failed
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  ExpectH5pyReads(path, "swmr");
}

}  // namespace
}  // namespace qlsweep::storage
