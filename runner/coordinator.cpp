// Sweep execution: plan into SQLite, launch each pending trial, read its events, record its outcome.
#include "runner/coordinator.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>

#include "runner/child_process.h"
#include "runner/progress.h"
#include "runner/trial_outcome.h"
#include "storage/run_index.h"
#include "sweeps/trial_file.h"
#include "sweeps/trial_id.h"

namespace qlsweep::runner {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::atomic<int> g_stop_signal{0};

void OnStopSignal(int signal) { g_stop_signal.store(signal); }

// Installs SIGINT/SIGTERM handlers for the life of a sweep and restores the old ones after.
class StopSignals {
 public:
  StopSignals() {
    g_stop_signal.store(0);
    struct sigaction action {};
    action.sa_handler = OnStopSignal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &old_int_);
    sigaction(SIGTERM, &action, &old_term_);
  }
  ~StopSignals() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

bool ShouldRun(const std::string& status, bool retry_failed) {
  if (status == "planned" || status == "killed") return true;  // never finished
  if (status == "failed" || status == "oom" || status == "timeout") return retry_failed;
  return false;  // done (or running in another coordinator)
}

std::string HostName() {
  char name[256] = {};
  gethostname(name, sizeof(name) - 1);
  return name;
}

std::string WriteTrialFile(const sweeps::TrialConfig& trial, const fs::path& dir) {
  const auto doc = sweeps::TrialDocument(trial);
  const auto path = dir / (trial.id + ".json");
  std::ofstream out(path);
  out << doc.dump(2) << "\n";
  if (!out) throw std::runtime_error("cannot write " + path.string());
  return path.string();
}

// Runs one trial process to its end and returns what to record.
storage::TrialOutcome RunOne(const sweeps::TrialConfig& trial, const RunOptions& options,
                             const fs::path& root, Progress& progress) {
  const auto config_path = WriteTrialFile(trial, root / "trials");
  const auto h5_path = (root / "series" / (trial.id + ".h5")).string();
  ChildProcess child({options.self_exe, "train", config_path, "--h5", h5_path}, {},
                     (root / "logs" / (trial.id + ".log")).string());
  OutcomeBuilder outcome(trial.id);
  const auto start = Clock::now();
  bool timed_out = false, interrupted = false, signalled = false;
  Clock::time_point signalled_at;
  std::string line;
  for (;;) {
    const auto read = child.ReadLine(&line, 200);
    if (read == ChildProcess::Read::kEof) break;
    if (read == ChildProcess::Read::kLine) {
      outcome.OnLine(line);
      if (line.find("\"event\":\"step\"") != std::string::npos) {
        progress.Step(outcome.last_step(), trial.train.steps);
      }
    }
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    if (!signalled && g_stop_signal.load() != 0) interrupted = true;
    if (!signalled && options.trial_timeout_s > 0 && elapsed > options.trial_timeout_s) {
      timed_out = true;
    }
    if (!signalled && (interrupted || timed_out)) {
      child.Signal(SIGTERM);
      signalled = true;
      signalled_at = Clock::now();
    }
    if (signalled && Clock::now() - signalled_at > std::chrono::seconds(5)) child.Signal(SIGKILL);
  }
  const auto exit = child.Wait();
  const double wall = std::chrono::duration<double>(Clock::now() - start).count();
  auto recorded = outcome.Finish(exit.code, exit.signal, timed_out, interrupted, wall);
  recorded.h5_path = h5_path;
  return recorded;
}

}  // namespace

RunSummary RunSweep(const sweeps::ExpandedSweep& sweep, const RunOptions& options_in) {
  RunOptions options = options_in;
  if (options.self_exe.empty()) options.self_exe = fs::read_symlink("/proc/self/exe").string();
  const fs::path root = fs::absolute(options.db_path).parent_path();
  for (const char* sub : {"series", "trials", "logs"}) fs::create_directories(root / sub);

  auto index = storage::RunIndex::OpenForWrite(options.db_path);
  index->UpsertSweep({sweep.name, sweep.file, sweep.gpu_profile, sweep.reference, sweep.spec.dump()});
  RunSummary summary;
  summary.planned = static_cast<int>(sweep.trials.size());
  Progress progress(summary.planned, options.quiet);
  if (const int stale = index->RecoverStaleRunning(sweep.name); stale > 0) {
    progress.Note(std::to_string(stale) + " trial(s) left running by a stopped coordinator: re-running");
  }
  std::vector<const sweeps::TrialConfig*> pending;
  for (const auto& trial : sweep.trials) {
    const auto status = index->PlanTrial(
        {trial.id, sweep.name, trial.name, trial.resolved.dump(), sweeps::FlattenParams(trial.resolved)});
    if (ShouldRun(status, options.retry_failed)) {
      pending.push_back(&trial);
    } else {
      ++summary.skipped;
    }
  }
  if (summary.skipped > 0) {
    progress.Note(std::to_string(summary.skipped) + " of " + std::to_string(summary.planned) +
                  " trial(s) already recorded; skipping them" +
                  (options.retry_failed ? "" : " (--retry-failed re-runs failed ones)"));
  }

  StopSignals stop_signals;
  const auto host = HostName();
  int position = summary.skipped;
  for (const auto* trial : pending) {
    if (g_stop_signal.load() != 0) break;
    progress.TrialStarted(++position, trial->id, trial->name);
    index->MarkRunning(trial->id, host, "");
    auto outcome = RunOne(*trial, options, root, progress);
    index->RecordOutcome(outcome);
    ++summary.ran;
    if (outcome.status == "done") ++summary.done;
    if (outcome.status == "oom") ++summary.oom;
    if (outcome.status == "failed") ++summary.failed;
    if (outcome.status == "killed") ++summary.killed;
    if (outcome.status == "timeout") ++summary.timeout;
    std::string detail = outcome.status == "oom" ? "in " + outcome.oom_phase : outcome.error;
    progress.TrialFinished(outcome.status, outcome.wall_s, detail);
  }
  summary.interrupted = g_stop_signal.load() != 0;
  return summary;
}

}  // namespace qlsweep::runner
