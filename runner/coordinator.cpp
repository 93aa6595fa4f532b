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
#include "protocol/events.h"
#include "protocol/result_keys.h"
#include "protocol/trial_status.h"
#include "runner/child_process.h"
#include "runner/progress.h"
#include "protocol/trial_status.h"
#include "runner/trial_command.h"
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
    namespace result = protocol::result;
    (*results)[std::string(result::kPredictedAllocatedBytes)] =
        static_cast<double>(e.allocated_bytes);
    (*results)[std::string(result::kPredictedReservedBytes)] =
        static_cast<double>(e.reserved_bytes);
    (*results)[std::string(result::kPredictedTotalBytes)] = static_cast<double>(e.total_bytes);
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
  RunningTrial(const sweeps::TrialConfig* t, int pos, std::vector<size_t> s)
      : trial(t), position(pos), slots(std::move(s)), outcome(t->id), start(Clock::now()) {}
  const sweeps::TrialConfig* trial;
  int position;               // k of "k of N"
  std::vector<size_t> slots;  // indices into the GPU slots (several for a sharded trial)
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
      while (g_stop_signal.load() == 0 && !queue.empty()) {
        auto free = FreeSlots(SlotsNeeded(*queue.front()));
        if (free.empty()) break;
        Launch(queue.front(), ++position, std::move(free));
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
  // A sharded trial takes hardware.gpus slots when the run names its GPUs; on the inherited
  // slot "" (CPU, or whatever CUDA_VISIBLE_DEVICES holds) its ranks share that one slot. A trial
  // that wants more GPUs than the run has still takes them all, and fails at launch.
  size_t SlotsNeeded(const sweeps::TrialConfig& trial) const {
    if (slots_.size() == 1 && slots_[0].empty()) return 1;
    return std::min<size_t>(std::max(1, trial.hardware.gpus), slots_.size());
  }

  // `count` free slots, or none when fewer are free.
  std::vector<size_t> FreeSlots(size_t count) const {
    std::vector<size_t> free;
    for (size_t i = 0; i < busy_.size() && free.size() < count; ++i) {
      if (!busy_[i]) free.push_back(i);
    }
    if (free.size() < count) free.clear();
    return free;
  }

  // The CUDA_VISIBLE_DEVICES of a trial on `slots` ("" = inherited).
  std::string SlotDevices(const std::vector<size_t>& slots) const {
    std::string devices;
    for (size_t i : slots) {
      if (slots_[i].empty()) continue;
      devices += (devices.empty() ? "" : ",") + slots_[i];
    }
    return devices;
  }

  void Launch(const sweeps::TrialConfig* trial, int position, std::vector<size_t> slots) {
    const std::string gpu = SlotDevices(slots);
    for (size_t i : slots) busy_[i] = true;
    progress_.TrialStarted(position, trial->id, trial->name, gpu);
    index_.MarkRunning(trial->id, coordinator_env_.host, gpu);
    index_.RecordEnvironment(trial->id, TrialEnvironment(coordinator_env_, gpu, nullptr));
    auto running = std::make_unique<RunningTrial>(trial, position, std::move(slots));
    running->h5_path = (root_ / "series" / (trial->id + ".h5")).string();
    try {
      TrialCommandInputs in;
      in.self_exe = options_.self_exe;
      in.config_path = WriteTrialFile(*trial, root_ / "trials");
      in.h5_path = running->h5_path;
      if (options_.save_adapters) in.adapter_dir = (root_ / "adapters" / trial->id).string();
      in.ranks = trial->hardware.gpus;
      in.cuda_visible_devices = gpu;
      if (in.ranks > 1 && !gpu.empty() && running->slots.size() < static_cast<size_t>(in.ranks)) {
        throw std::runtime_error("hardware.gpus is " + std::to_string(in.ranks) +
                                 " but this run has " + std::to_string(slots_.size()) +
                                 " GPU(s) (--gpus)");
      }
      const auto cmd = BuildTrialCommand(in);
      running->child = std::make_unique<ChildProcess>(
          cmd.argv, cmd.env, (root_ / "logs" / (trial->id + ".log")).string());
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
    if (kind == protocol::event::kStep) {
      progress_.Step(trial.position, trial.outcome.last_step(), trial.trial->train.steps);
    } else if (kind == protocol::event::kProgress) {
      progress_.Phase(trial.position, nlohmann::json::parse(line, nullptr, false));
    } else if (kind == protocol::event::kStarted) {
      index_.RecordEnvironment(
          trial.trial->id,
          TrialEnvironment(coordinator_env_, SlotDevices(trial.slots), trial.outcome.started()));
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
    if (trial.trial->hardware.gpus > 1 && outcome.status == protocol::TrialStatus::kFailed) {
      // A rank that died without an event: the launcher's log line names it.
      const auto why = LauncherFailure((root_ / "logs" / (trial.trial->id + ".log")).string());
      if (!why.empty()) outcome.error = "sharded trial ended: " + why;
    }
    RecordPrediction(*trial.trial, &outcome.results);
    index_.RecordOutcome(outcome);
    for (size_t i : trial.slots) busy_[i] = false;
    ++summary_.ran;
    summary_.Count(outcome.status);
    const std::string detail =
        outcome.status == protocol::TrialStatus::kOom ? "in " + outcome.oom_phase : outcome.error;
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

void RunSummary::Count(protocol::TrialStatus status) {
  switch (status) {
    case protocol::TrialStatus::kDone:
      ++done;
      break;
    case protocol::TrialStatus::kOom:
      ++oom;
      break;
    case protocol::TrialStatus::kFailed:
      ++failed;
      break;
    case protocol::TrialStatus::kKilled:
      ++killed;
      break;
    case protocol::TrialStatus::kTimeout:
      ++timeout;
      break;
    case protocol::TrialStatus::kPlanned:
    case protocol::TrialStatus::kRunning:
      break;  // not an outcome
  }
}

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
    if (protocol::RunsAgain(status, options.retry_failed)) {
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
