// h5py (the reader analysis scripts use) reads series files: datasets, dtypes, string attributes.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

#include "storage/series_file.h"
#include "tests/storage/scratch_dir.h"

namespace qlsweep::storage {
namespace {

using testing::ScratchDir;

// The interpreter to use: $QLSWEEP_PYTHON, else python3 from PATH.
std::string Python() {
  const char* python = std::getenv("QLSWEEP_PYTHON");
  return python != nullptr && python[0] != '\0' ? python : "python3";
}

// Runs a shell command; returns its exit status and appends its stdout and stderr to `output`.
int RunCommand(const std::string& command, std::string& output) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  std::array<char, 4096> buffer{};
  size_t read = 0;
  while ((read = fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    output.append(buffer.data(), read);
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

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
         "reserved_bytes"]), list(f["train"].keys())
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
    std::string output;
    if (RunCommand(Python() + " -c 'import h5py'", output) != 0) {
      GTEST_SKIP() << "h5py is not importable by '" << Python()
                   << "' (pip install h5py, or set QLSWEEP_PYTHON); skipping the h5py check";
    }
    script_ = dir_.File("check.py");
    std::ofstream(script_) << kCheckScript;
  }

  void ExpectH5pyReads(const std::string& path, const std::string& mode) {
    std::string output;
    const int status = RunCommand(Python() + " '" + script_ + "' '" + path + "' " + mode, output);
    EXPECT_EQ(status, 0) << output;
    EXPECT_NE(output.find("read " + path), std::string::npos) << output;
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
