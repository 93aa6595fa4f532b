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

#include "protocol/trial_status.h"
#include "runner/child_process.h"
#include "runner/progress.h"
#include "runner/run_lock.h"
#include "runner/trial_attempt.h"
#include "runner/trial_command.h"
#include "runner/trial_environment.h"
#include "storage/run_index.h"
#include "sweeps/fit_search.h"
#include "sweeps/trial_file.h"
#include "sweeps/trial_id.h"

namespace qlsweep::runner {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int kPollMs = 200;

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

// One trial in flight: its process, its recorded attempt, and why it is being stopped.
struct RunningTrial {
  RunningTrial(const sweeps::TrialConfig* t, std::vector<size_t> s)
      : trial(t), slots(std::move(s)) {}
  const sweeps::TrialConfig* trial;
  std::vector<size_t> slots;  // indices into the GPU slots (several for a sharded trial)
  std::unique_ptr<TrialAttempt> attempt;
  std::unique_ptr<ChildProcess> child;
  bool timed_out = false, interrupted = false, signalled = false;
  Clock::time_point signalled_at;
};

class SweepRun {
 public:
  SweepRun(const RunOptions& options, SweepRecords& records)
      : options_(options),
        root_(records.root),
        records_(records),
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
    auto running = std::make_unique<RunningTrial>(trial, std::move(slots));
    running->attempt =
        std::make_unique<TrialAttempt>(records_, *trial, position, records_.coordinator.host, gpu,
                                       gpu.empty() ? "" : "gpu " + gpu);
    try {
      TrialCommandInputs in;
      in.self_exe = options_.self_exe;
      in.config_path = WriteTrialFile(sweeps::TrialDocument(*trial), trial->id, root_ / "trials");
      in.h5_path = running->attempt->h5_path();
      // A full fine-tuning trial has no adapter to save (train --save-adapter refuses it).
      if (options_.save_adapters && trial->train.method != "full") {
        in.adapter_dir = (root_ / "adapters" / trial->id).string();
      }
      in.ranks = trial->hardware.gpus;
      in.host_trials = static_cast<int>(slots_.size());
      in.cuda_visible_devices = gpu;
      if (in.ranks > 1 && !gpu.empty() && running->slots.size() < static_cast<size_t>(in.ranks)) {
        throw std::runtime_error("hardware.gpus is " + std::to_string(in.ranks) +
                                 " but this run has " + std::to_string(slots_.size()) +
                                 " GPU(s) (--gpus)");
      }
      const auto cmd = BuildTrialCommand(in);
      running->child = std::make_unique<ChildProcess>(cmd.argv, cmd.env,
                                                      running->attempt->log_path(), cmd.unset);
    } catch (const std::exception& e) {
      running->attempt->OnLine(e.what());  // recorded as the failure's message
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
      for (const auto& line : lines) owners[i]->attempt->OnLine(line);
    }
  }

  // Sends SIGTERM on Ctrl-C or past the time limit, and SIGKILL when SIGTERM was not enough.
  void StopIfNeeded(RunningTrial& trial) {
    if (!trial.child || trial.child->at_eof()) return;  // it has ended on its own
    const auto now = Clock::now();
    if (!trial.signalled) {
      const double elapsed = trial.attempt->elapsed_s();
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
    trial.attempt->Finish({exit.code, exit.signal, trial.timed_out, trial.interrupted, ""});
    for (size_t i : trial.slots) busy_[i] = false;
  }

  const RunOptions& options_;
  fs::path root_;
  SweepRecords& records_;
  std::vector<std::string> slots_;
  std::vector<bool> busy_;
  std::vector<std::unique_ptr<RunningTrial>> running_;
};

// Runs `trial` (already planned) alone, at `position` of the sweep.
void RunOne(const sweeps::TrialConfig& trial, int position, const RunOptions& options,
            SweepRecords& records) {
  if (options.executor != nullptr) {
    options.executor->Run({&trial}, position, records);
  } else {
    SweepRun(options, records).Run({&trial}, position);
  }
}

// The probes of a fit search, one at a time (see RunSweep).
void RunFitSearch(const sweeps::ExpandedSweep& sweep, const RunOptions& options,
                  SweepRecords& records) {
  RunSummary& summary = records.summary;
  sweeps::Bisection search(static_cast<int>(sweep.trials.size()));
  records.progress.Note("fit search over " + sweep.search.key + ": " +
                        std::to_string(sweep.trials.size()) + " value(s) from " +
                        std::to_string(sweep.search.low) + " to " +
                        std::to_string(sweep.search.high) + ", at most " +
                        std::to_string(summary.planned) + " probe(s), one at a time");
  int position = 0;
  while (const auto next = search.Next()) {
    if (g_stop_signal.load() != 0) return;
    const auto& trial = sweep.trials[static_cast<size_t>(*next)];
    auto status = records.index.PlanTrial({trial.id, sweep.name, trial.name, trial.resolved.dump(),
                                           sweeps::FlattenParams(trial.resolved)});
    if (protocol::RunsAgain(status, options.retry_failed)) {
      RunOne(trial, position, options, records);
      status = records.index.Trial(trial.id)->status;
    } else {
      ++summary.skipped;
      records.progress.Note("probe " + trial.name +
                            " already recorded: " + std::string(protocol::ToString(status)));
    }
    ++position;
    if (status != protocol::TrialStatus::kDone && status != protocol::TrialStatus::kOom) {
      if (g_stop_signal.load() == 0) {
        summary.fit_stopped =
            "probe " + trial.name + " ended " + std::string(protocol::ToString(status)) +
            ", neither fitting (done) nor out of memory (oom): the search stops here (see "
            "`qlsweep runs --sweep " +
            sweep.name + "`; fix the cause and run again" +
            (protocol::RunsAgain(status, options.retry_failed) ? "" : " with --retry-failed") + ")";
      }
      return;
    }
    if (!search.Record(*next, status == protocol::TrialStatus::kDone)) {
      summary.fit_stopped = "probe " + trial.name + " ended " +
                            std::string(protocol::ToString(status)) +
                            ", against the probes before it: memory does not grow with " +
                            sweep.search.key + " here, so bisection cannot find a boundary";
      return;
    }
  }
}

}  // namespace

bool StopRequested() { return g_stop_signal.load() != 0; }

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
  const bool fit = sweep.search.kind == sweeps::SearchKind::kFit;
  const int candidates = static_cast<int>(sweep.trials.size());
  summary.planned = fit ? sweeps::MaxProbes(candidates) : candidates;
  Progress progress(summary.planned, options.quiet);
  if (const int stale = index->RecoverStaleRunning(sweep.name); stale > 0) {
    progress.Note(std::to_string(stale) +
                  " trial(s) left running by a stopped coordinator: re-running");
  }
  if (fit) {
    StopSignals stop_signals;
    SweepRecords records{*index, progress, summary, DetectCoordinatorEnvironment(), root};
    RunFitSearch(sweep, options, records);
    summary.interrupted = g_stop_signal.load() != 0;
    return summary;
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
  SweepRecords records{*index, progress, summary, DetectCoordinatorEnvironment(), root};
  if (options.executor != nullptr) {  // an MPI farm: its workers run the trials
    options.executor->Run(std::move(pending), summary.skipped, records);
  } else {
    SweepRun(options, records).Run(std::move(pending), summary.skipped);
  }
  summary.interrupted = g_stop_signal.load() != 0;
  return summary;
}

}  // namespace qlsweep::runner
