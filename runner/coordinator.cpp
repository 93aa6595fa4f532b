// Sweep execution: plan into SQLite, launch pending trials into free GPU slots, read their events
// in one poll() loop, record each outcome and environment.
#include "runner/coordinator.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>

#include "analysis/memory_estimator.h"
#include "runner/child_process.h"
#include "runner/progress.h"
#include "runner/run_lock.h"
#include "runner/trial_environment.h"
#include "runner/trial_outcome.h"
#include "storage/run_index.h"
#include "sweeps/trial_file.h"
#include "sweeps/trial_id.h"

namespace qlsweep::runner {
namespace {

// The memory estimator's prediction, stored beside what the trial measured (`table
// --calibration` compares them). Trials of presets the estimator does not know get none.
void RecordPrediction(const sweeps::TrialConfig& trial, std::map<std::string, double>* results) {
  try {
    const auto e = analysis::EstimateMemory(trial);
    (*results)["predicted.allocated_bytes"] = static_cast<double>(e.allocated_bytes);
    (*results)["predicted.reserved_bytes"] = static_cast<double>(e.reserved_bytes);
    (*results)["predicted.total_bytes"] = static_cast<double>(e.total_bytes);
  } catch (const std::invalid_argument&) {
  }
}

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int kPollMs = 200;
constexpr auto kKillGrace = std::chrono::seconds(5);  // SIGTERM, then SIGKILL after this
constexpr int kLaunchFailedExit = 127;  // recorded when the trial process could not start

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

std::string WriteTrialFile(const sweeps::TrialConfig& trial, const fs::path& dir) {
  const auto doc = sweeps::TrialDocument(trial);
  const auto path = dir / (trial.id + ".json");
  std::ofstream out(path);
  out << doc.dump(2) << "\n";
  if (!out) throw std::runtime_error("cannot write " + path.string());
  return path.string();
}

// One trial in flight: its process, what it reported so far, and why it is being stopped.
struct RunningTrial {
  RunningTrial(const sweeps::TrialConfig* t, int pos, size_t s)
      : trial(t), position(pos), slot(s), outcome(t->id), start(Clock::now()) {}
  const sweeps::TrialConfig* trial;
  int position;  // k of "k of N"
  size_t slot;   // index into the GPU slots
  std::string h5_path;
  std::unique_ptr<ChildProcess> child;
  OutcomeBuilder outcome;
  Clock::time_point start;
  bool timed_out = false, interrupted = false, signalled = false;
  Clock::time_point signalled_at;
};

class SweepRun {
 public:
  SweepRun(const RunOptions& options, const fs::path& root, storage::RunIndex& index,
           Progress& progress, RunSummary& summary)
      : options_(options),
        root_(root),
        index_(index),
        progress_(progress),
        summary_(summary),
        coordinator_env_(DetectCoordinatorEnvironment()),
        slots_(options.gpus.empty() ? std::vector<std::string>{""} : options.gpus),
        busy_(slots_.size(), false) {}

  void Run(std::deque<const sweeps::TrialConfig*> queue, int first_position) {
    int position = first_position;
    for (;;) {
      while (g_stop_signal.load() == 0 && !queue.empty() && FreeSlot() < slots_.size()) {
        Launch(queue.front(), ++position, FreeSlot());
        queue.pop_front();
      }
      if (running_.empty()) return;
      ReadEvents();
      for (auto& trial : running_) StopIfNeeded(*trial);
      for (auto it = running_.begin(); it != running_.end();) {
        if ((*it)->child && !(*it)->child->at_eof()) {
          ++it;
          continue;
        }
        std::optional<ChildProcess::Exit> exit;
        if ((*it)->child) exit = (*it)->child->TryWait();
        if ((*it)->child && !exit) {
          ++it;
          continue;
        }
        Finish(**it, exit.value_or(ChildProcess::Exit{kLaunchFailedExit, 0}));
        it = running_.erase(it);
      }
    }
  }

 private:
  size_t FreeSlot() const {
    for (size_t i = 0; i < busy_.size(); ++i) {
      if (!busy_[i]) return i;
    }
    return busy_.size();
  }

  void Launch(const sweeps::TrialConfig* trial, int position, size_t slot) {
    const std::string& gpu = slots_[slot];
    busy_[slot] = true;
    progress_.TrialStarted(position, trial->id, trial->name, gpu);
    index_.MarkRunning(trial->id, coordinator_env_.host, gpu);
    index_.RecordEnvironment(trial->id, TrialEnvironment(coordinator_env_, gpu, nullptr));
    auto running = std::make_unique<RunningTrial>(trial, position, slot);
    running->h5_path = (root_ / "series" / (trial->id + ".h5")).string();
    std::map<std::string, std::string> env;
    if (!gpu.empty()) env["CUDA_VISIBLE_DEVICES"] = gpu;
    try {
      const auto config_path = WriteTrialFile(*trial, root_ / "trials");
      std::vector<std::string> argv{options_.self_exe, "train", config_path, "--h5",
                                    running->h5_path};
      if (options_.save_adapters) {
        argv.insert(argv.end(), {"--save-adapter", (root_ / "adapters" / trial->id).string()});
      }
      running->child = std::make_unique<ChildProcess>(
          argv, env, (root_ / "logs" / (trial->id + ".log")).string());
    } catch (const std::exception& e) {
      running->outcome.OnLine(e.what());  // recorded as the failure's message
    }
    running_.push_back(std::move(running));
  }

  void ReadEvents() {
    std::vector<ChildProcess*> children;
    std::vector<RunningTrial*> owners;
    for (auto& trial : running_) {
      if (!trial->child) continue;
      children.push_back(trial->child.get());
      owners.push_back(trial.get());
    }
    const auto readable = WaitReadable(children, kPollMs);
    std::vector<std::string> lines;
    for (size_t i = 0; i < children.size(); ++i) {
      if (!readable[i]) continue;
      lines.clear();
      children[i]->ReadAvailable(&lines);
      for (const auto& line : lines) OnLine(*owners[i], line);
    }
  }

  void OnLine(RunningTrial& trial, const std::string& line) {
    const auto kind = trial.outcome.OnLine(line);
    if (kind == "step") {
      progress_.Step(trial.position, trial.outcome.last_step(), trial.trial->train.steps);
    } else if (kind == "started") {
      index_.RecordEnvironment(
          trial.trial->id,
          TrialEnvironment(coordinator_env_, slots_[trial.slot], trial.outcome.started()));
    }
  }

  // Sends SIGTERM on Ctrl-C or past the time limit, and SIGKILL when SIGTERM was not enough.
  void StopIfNeeded(RunningTrial& trial) {
    if (!trial.child || trial.child->at_eof()) return;  // it has ended on its own
    const auto now = Clock::now();
    if (!trial.signalled) {
      const double elapsed = std::chrono::duration<double>(now - trial.start).count();
      if (g_stop_signal.load() != 0) {
        trial.interrupted = true;
      } else if (options_.trial_timeout_s > 0 && elapsed > options_.trial_timeout_s) {
        trial.timed_out = true;
      }
      if (trial.interrupted || trial.timed_out) {
        trial.child->Signal(SIGTERM);
        trial.signalled = true;
        trial.signalled_at = now;
      }
    } else if (now - trial.signalled_at > kKillGrace) {
      trial.child->Signal(SIGKILL);
    }
  }

  void Finish(RunningTrial& trial, const ChildProcess::Exit& exit) {
    const double wall = std::chrono::duration<double>(Clock::now() - trial.start).count();
    auto outcome =
        trial.outcome.Finish(exit.code, exit.signal, trial.timed_out, trial.interrupted, wall);
    outcome.h5_path = trial.h5_path;
    RecordPrediction(*trial.trial, &outcome.results);
    index_.RecordOutcome(outcome);
    busy_[trial.slot] = false;
    ++summary_.ran;
    if (outcome.status == "done") ++summary_.done;
    if (outcome.status == "oom") ++summary_.oom;
    if (outcome.status == "failed") ++summary_.failed;
    if (outcome.status == "killed") ++summary_.killed;
    if (outcome.status == "timeout") ++summary_.timeout;
    const std::string detail = outcome.status == "oom" ? "in " + outcome.oom_phase : outcome.error;
    progress_.TrialFinished(trial.position, outcome.status, outcome.wall_s, detail);
  }

  const RunOptions& options_;
  fs::path root_;
  storage::RunIndex& index_;
  Progress& progress_;
  RunSummary& summary_;
  CoordinatorEnvironment coordinator_env_;
  std::vector<std::string> slots_;
  std::vector<bool> busy_;
  std::vector<std::unique_ptr<RunningTrial>> running_;
};

}  // namespace

RunSummary RunSweep(const sweeps::ExpandedSweep& sweep, const RunOptions& options_in) {
  RunOptions options = options_in;
  if (options.self_exe.empty()) options.self_exe = fs::read_symlink("/proc/self/exe").string();
  const fs::path root = fs::absolute(options.db_path).parent_path();
  for (const char* sub : {"series", "trials", "logs"}) fs::create_directories(root / sub);

  const RunLock lock(options.db_path);  // held until the sweep returns; throws RunLockBusy
  auto index = storage::RunIndex::OpenForWrite(options.db_path);
  index->UpsertSweep(
      {sweep.name, sweep.file, sweep.gpu_profile, sweep.reference, sweep.spec.dump()});
  RunSummary summary;
  summary.planned = static_cast<int>(sweep.trials.size());
  Progress progress(summary.planned, options.quiet);
  if (const int stale = index->RecoverStaleRunning(sweep.name); stale > 0) {
    progress.Note(std::to_string(stale) +
                  " trial(s) left running by a stopped coordinator: re-running");
  }
  std::deque<const sweeps::TrialConfig*> pending;
  for (const auto& trial : sweep.trials) {
    const auto status = index->PlanTrial({trial.id, sweep.name, trial.name, trial.resolved.dump(),
                                          sweeps::FlattenParams(trial.resolved)});
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
  SweepRun(options, root, *index, progress, summary).Run(std::move(pending), summary.skipped);
  summary.interrupted = g_stop_signal.load() != 0;
  return summary;
}

}  // namespace qlsweep::runner
