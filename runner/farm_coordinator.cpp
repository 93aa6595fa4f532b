// The farm's rank 0: hellos, longest-first scheduling on worker groups, recording forwarded
// lines and exits, heartbeats and leases, interrupts, shutdown.
#include "runner/farm_coordinator.h"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>

#include "runner/farm_messages.h"
#include "runner/farm_schedule.h"
#include "runner/trial_attempt.h"
#include "runner/trial_command.h"
#include "sweeps/trial_file.h"

namespace qlsweep::runner {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kMessagesPerRound = 64;  // then scheduling, leases and timeouts get a turn
constexpr double kStopWaitS = 7;       // after an interrupt: the workers' SIGTERM grace and more
// The error of trials running when rank 0 got SIGINT/SIGTERM: mpirun sends SIGTERM to every rank
// when one rank dies, so this is not always the user.
constexpr const char* kStopped =
    "the farm was stopped while the trial ran (SIGINT/SIGTERM to rank 0: Ctrl-C, or the "
    "launcher ending the job after a rank died)";

double Since(Clock::time_point then) {
  return std::chrono::duration<double>(Clock::now() - then).count();
}

// "2 s", "0.5 s".
std::string FormatSeconds(double seconds) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g s", seconds);
  return text;
}

void AppendFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::app | std::ios::binary);  // created even when empty
  out << text;
}

// "rank 2 (node1), gpu 1", "ranks 1, 2 (node1), gpus 0,1".
std::string Where(const std::vector<FarmWorker>& workers, const std::vector<size_t>& group,
                  const std::string& gpus) {
  std::string ranks;
  for (size_t i : group) ranks += (ranks.empty() ? "" : ", ") + std::to_string(workers[i].rank);
  const bool several = group.size() > 1;
  std::string where = (several ? "ranks " : "rank ") + ranks + " (" + workers[group[0]].host + ")";
  if (!gpus.empty()) where += (several ? ", gpus " : ", gpu ") + gpus;
  return where;
}

// A queued trial; position 0 until it first starts ("k of N" is given at the first start).
struct Queued {
  const sweeps::TrialConfig* trial;
  int position = 0;
};

// A trial on its workers; workers[0] launched it.
struct FarmTrial {
  const sweeps::TrialConfig* trial;
  int position;
  std::vector<size_t> workers;
  std::unique_ptr<TrialAttempt> attempt;
  bool timed_out = false, stop_sent = false;
};

class FarmRun {
 public:
  FarmRun(FarmChannel& channel, const FarmSettings& settings, const RunOptions& options,
          SweepRecords& records, std::vector<FarmWorker> workers)
      : channel_(channel),
        settings_(settings),
        options_(options),
        records_(records),
        workers_(std::move(workers)),
        last_seen_(workers_.size(), Clock::now()),
        idle_since_(workers_.size(), Clock::now()) {}

  void Run(std::deque<Queued> queue, int first_position) {
    queue_ = std::move(queue);
    next_position_ = first_position;
    auto last_ping = Clock::now();
    for (;;) {
      if (StopRequested()) {
        Interrupt();
        return;
      }
      if (dirty_) Schedule();
      if (running_.empty() && (queue_.empty() || LargestHost(workers_) == 0)) break;
      bool any = false;
      for (int i = 0; i < kMessagesPerRound; ++i) {
        auto message = channel_.TryReceive();
        if (!message) break;
        OnMessage(*message);
        any = true;
      }
      if (Since(last_ping) >= settings_.heartbeat_s) {
        for (const auto& w : workers_) {
          if (w.state != WorkerState::kLost) channel_.Send(w.rank, FarmTag::kPing, "");
        }
        last_ping = Clock::now();
      }
      CheckLeases();
      CheckTimeouts();
      if (!any) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    if (!queue_.empty()) {
      records_.progress.Note("farm: no worker left; " + std::to_string(queue_.size()) +
                             " trial(s) not run (running the sweep again runs them)");
    }
    NoteThroughput();
  }

  std::vector<bool> lost() const {
    std::vector<bool> out;
    for (const auto& w : workers_) out.push_back(w.state == WorkerState::kLost);
    return out;
  }

 private:
  void Schedule() {
    dirty_ = false;
    const int largest = LargestHost(workers_);
    if (largest == 0) return;
    std::vector<int> needs;
    for (auto it = queue_.begin(); it != queue_.end();) {
      const int need = WorkersNeeded(it->trial->hardware.gpus, workers_);
      if (need <= largest) {
        needs.push_back(need);
        ++it;
        continue;
      }
      Unrunnable(*it, "hardware.gpus is " + std::to_string(it->trial->hardware.gpus) +
                          " but no host of this farm has that many workers (at most " +
                          std::to_string(largest) + ")");
      it = queue_.erase(it);
    }
    const auto placements = SchedulePass(workers_, needs);
    std::vector<size_t> started;
    for (const auto& p : placements) {
      Launch(queue_[p.queue_index], p.workers);
      started.push_back(p.queue_index);
    }
    std::sort(started.rbegin(), started.rend());
    for (size_t i : started) queue_.erase(queue_.begin() + static_cast<long>(i));
  }

  int PositionOf(Queued& q) {
    if (q.position == 0) q.position = ++next_position_;
    return q.position;
  }

  // A trial that cannot run in this farm: recorded failed, as the plain coordinator records a
  // trial whose command cannot start.
  void Unrunnable(Queued& q, const std::string& why) {
    TrialAttempt attempt(records_, *q.trial, PositionOf(q), "", "", "");
    attempt.OnLine(why);
    attempt.Finish({kLaunchFailedExit, 0, false, false, ""});
  }

  void Launch(Queued& q, const std::vector<size_t>& group) {
    const auto& trial = *q.trial;
    const FarmWorker& leader = workers_[group[0]];
    std::string gpus;
    for (size_t i : group) {
      if (!workers_[i].gpu.empty()) gpus += (gpus.empty() ? "" : ",") + workers_[i].gpu;
    }
    auto running = std::make_unique<FarmTrial>(
        FarmTrial{q.trial, PositionOf(q), group, nullptr, false, false});
    running->attempt = std::make_unique<TrialAttempt>(
        records_, trial, running->position, leader.host, gpus, Where(workers_, group, gpus));
    records_.index.RecordLease(trial.id, {leader.rank, leader.host, leader.pid});
    const auto document = sweeps::TrialDocument(trial);
    try {
      WriteTrialFile(document, trial.id, records_.root / "trials");  // the record, as ever
      running->attempt->WriteSeries();
    } catch (const std::exception& e) {
      running->attempt->OnLine(e.what());
      running->attempt->Finish({kLaunchFailedExit, 0, false, false, ""});
      dirty_ = true;  // its workers stay idle for the next pass
      return;
    }
    for (size_t i : group) workers_[i].state = WorkerState::kBusy;
    cost_.dispatch_s += Since(idle_since_[group[0]]);
    channel_.Send(leader.rank, FarmTag::kAssign,
                  Encode(Assignment{trial.id, document, trial.hardware.gpus, gpus,
                                    options_.save_adapters && trial.train.method != "full"}));
    running_.push_back(std::move(running));
  }

  // The running trial `worker` launched, if any.
  std::vector<std::unique_ptr<FarmTrial>>::iterator LedBy(size_t worker) {
    return std::find_if(running_.begin(), running_.end(),
                        [&](const auto& t) { return t->workers[0] == worker; });
  }

  void Release(const FarmTrial& trial) {
    for (size_t i : trial.workers) {
      if (workers_[i].state == WorkerState::kBusy) workers_[i].state = WorkerState::kIdle;
      idle_since_[i] = Clock::now();
    }
    dirty_ = true;
  }

  void OnMessage(const FarmChannel::Message& message) {
    const size_t w = static_cast<size_t>(message.from - 1);
    if (message.from < 1 || w >= workers_.size() || workers_[w].state == WorkerState::kLost) {
      return;  // a lost worker's trial was re-queued: what it still says is void
    }
    last_seen_[w] = Clock::now();
    const auto it = LedBy(w);
    if (message.tag == FarmTag::kLines) {
      const auto lines = Decode<TrialLines>(message.payload);
      if (it == running_.end() || (*it)->trial->id != lines.trial_id) return;
      for (const auto& line : lines.lines) (*it)->attempt->OnLine(line);
    } else if (message.tag == FarmTag::kExit) {
      const auto exit = Decode<TrialExit>(message.payload);
      if (it == running_.end() || (*it)->trial->id != exit.trial_id) return;
      FarmTrial& trial = **it;
      AppendFile(trial.attempt->log_path(), exit.log_tail);  // before Finish reads it
      trial.attempt->Finish({exit.exit_code, exit.signal, trial.timed_out, false, ""});
      ++cost_.trials;
      cost_.process_s += exit.process_s;
      cost_.attempt_s += trial.attempt->elapsed_s();
      Release(trial);
      running_.erase(it);
    } else if (message.tag == FarmTag::kHeartbeat && it != running_.end()) {
      records_.index.Heartbeat((*it)->trial->id);
    }
  }

  // A worker silent for a lease is gone: its trial is recorded killed and queued again.
  void CheckLeases() {
    for (size_t w = 0; w < workers_.size(); ++w) {
      if (workers_[w].state == WorkerState::kLost || Since(last_seen_[w]) <= settings_.lease_s) {
        continue;
      }
      workers_[w].state = WorkerState::kLost;
      dirty_ = true;
      const std::string lost = "worker rank " + std::to_string(workers_[w].rank) + " on " +
                               workers_[w].host + " lost (no word for " +
                               FormatSeconds(settings_.lease_s) + ")";
      records_.progress.Note("farm: " + lost);
      const auto it = LedBy(w);
      if (it == running_.end()) continue;
      FarmTrial& trial = **it;
      channel_.Send(workers_[w].rank, FarmTag::kStop, Encode(StopOrder{trial.trial->id}));
      trial.attempt->Finish({0, SIGKILL, false, false, lost});
      Release(trial);
      queue_.push_front({trial.trial, trial.position});
      running_.erase(it);
    }
  }

  void CheckTimeouts() {
    if (options_.trial_timeout_s <= 0) return;
    for (auto& trial : running_) {
      if (trial->stop_sent || trial->attempt->elapsed_s() <= options_.trial_timeout_s) continue;
      trial->timed_out = trial->stop_sent = true;
      channel_.Send(workers_[trial->workers[0]].rank, FarmTag::kStop,
                    Encode(StopOrder{trial->trial->id}));
    }
  }

  // SIGINT/SIGTERM: the running trials are recorded killed at once (mpirun may kill this rank
  // soon: it signals every rank of the job); their workers are told to stop them, and their
  // exits are awaited a while so that no worker is left with a message nobody receives.
  void Interrupt() {
    std::map<size_t, std::string> stopping;  // worker -> trial
    for (auto& trial : running_) {
      const size_t leader = trial->workers[0];
      channel_.Send(workers_[leader].rank, FarmTag::kStop, Encode(StopOrder{trial->trial->id}));
      trial->attempt->Finish({0, 0, false, true, kStopped});
      stopping[leader] = trial->trial->id;
    }
    running_.clear();
    const auto start = Clock::now();
    while (!stopping.empty() && Since(start) < kStopWaitS) {
      auto message = channel_.TryReceive();
      if (!message) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        continue;
      }
      if (message->tag == FarmTag::kExit) stopping.erase(static_cast<size_t>(message->from - 1));
    }
  }

  // "farm: 8 trial(s) in 1.2 h (6.5 trials/hour); coordinator overhead per trial ..." over the
  // trials whose process ended: dispatch is a leader's idle time before its next trial (waiting
  // for a group included), the rest is the attempt's time at rank 0 beyond the process's life
  // on its worker (recording the start, the assignment's way, fork and exec, the lines' and the
  // exit's way back, recording the outcome).
  void NoteThroughput() {
    if (cost_.trials == 0) return;
    const double wall = Since(start_);
    const double per_trial = (cost_.dispatch_s + cost_.attempt_s - cost_.process_s) / cost_.trials;
    char text[400];
    std::snprintf(text, sizeof(text),
                  "farm: %d trial(s) in %.1f s (%.1f trials/hour); trial processes %.1f s; "
                  "coordinator overhead per trial %.3f s (%.2f%% of a trial: dispatch %.3f s, "
                  "start, forwarding and recording %.3f s)",
                  cost_.trials, wall, cost_.trials * 3600.0 / wall, cost_.process_s, per_trial,
                  100.0 * per_trial * cost_.trials / std::max(cost_.process_s, 1e-9),
                  cost_.dispatch_s / cost_.trials,
                  (cost_.attempt_s - cost_.process_s) / cost_.trials);
    records_.progress.Note(text);
  }

  struct Cost {
    int trials = 0;
    double process_s = 0, attempt_s = 0, dispatch_s = 0;
  };

  FarmChannel& channel_;
  const FarmSettings& settings_;
  const RunOptions& options_;
  SweepRecords& records_;
  std::vector<FarmWorker> workers_;
  std::vector<Clock::time_point> last_seen_;
  std::vector<Clock::time_point> idle_since_;
  Clock::time_point start_ = Clock::now();
  Cost cost_;
  std::deque<Queued> queue_;
  std::vector<std::unique_ptr<FarmTrial>> running_;
  int next_position_ = 0;
  bool dirty_ = true;  // something changed since the last scheduling pass
};

// Every worker's hello (rank r's at r - 1); throws when one does not come within the lease.
std::vector<WorkerHello> AwaitHellos(FarmChannel& channel, double lease_s) {
  std::vector<std::optional<WorkerHello>> hellos(static_cast<size_t>(channel.size() - 1));
  size_t count = 0;
  const auto start = Clock::now();
  while (count < hellos.size()) {
    auto message = channel.TryReceive();
    if (message && message->tag == FarmTag::kHello) {
      auto& slot = hellos.at(static_cast<size_t>(message->from - 1));
      if (!slot) ++count;
      slot = Decode<WorkerHello>(message->payload);
      continue;
    }
    if (Since(start) > lease_s) {
      std::string missing;
      for (size_t i = 0; i < hellos.size(); ++i) {
        if (!hellos[i]) missing += (missing.empty() ? "" : ", ") + std::to_string(i + 1);
      }
      throw std::runtime_error("farm: worker rank(s) " + missing + " did not report within " +
                               std::to_string(static_cast<int>(lease_s)) + " s");
    }
    if (!message) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  std::vector<WorkerHello> out;
  for (auto& h : hellos) out.push_back(std::move(*h));
  return out;
}

// "farm: 3 workers: rank 1 (node1, gpu 0), ..." and a warning when workers share a GPU.
std::string Describe(const std::vector<FarmWorker>& workers) {
  std::string text =
      "farm: " + std::to_string(workers.size()) + " worker(s), longest trials first:";
  std::map<std::pair<std::string, std::string>, int> per_gpu;
  for (const auto& w : workers) {
    text += " rank " + std::to_string(w.rank) + " (" + w.host +
            (w.gpu.empty() ? "" : ", gpu " + w.gpu) + ")";
    if (!w.gpu.empty() && ++per_gpu[{w.host, w.gpu}] == 2) {
      text += " [shares gpu " + w.gpu + " on " + w.host + ": more workers than GPUs]";
    }
    if (w.cpus > 0 && w.cpus < w.node_cpus) {
      text += " [bound to " + std::to_string(w.cpus) + " of " + std::to_string(w.node_cpus) +
              " CPUs, as are its trials: mpirun --bind-to none, srun --cpu-bind=none]";
    }
  }
  return text;
}

}  // namespace

FarmCoordinator::FarmCoordinator(FarmChannel& channel, const FarmSettings& settings,
                                 const RunOptions& options)
    : channel_(channel), settings_(settings), options_(options) {}

void FarmCoordinator::Run(std::deque<const sweeps::TrialConfig*> pending, int first_position,
                          SweepRecords& records) {
  const auto workers = FarmWorkers(AwaitHellos(channel_, settings_.lease_s));
  records.progress.Note(Describe(workers));
  std::deque<Queued> queue;
  for (const auto* trial : LongestFirst(pending)) queue.push_back({trial, 0});
  FarmRun run(channel_, settings_, options_, records, workers);
  run.Run(std::move(queue), first_position);
  lost_ = run.lost();
  lost_workers_ = std::find(lost_.begin(), lost_.end(), true) != lost_.end();
  Shutdown();
}

void FarmCoordinator::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  for (int rank = 1; rank < channel_.size(); ++rank) {
    const size_t w = static_cast<size_t>(rank - 1);
    if (w < lost_.size() && lost_[w]) continue;
    channel_.Send(rank, FarmTag::kShutdown, Encode(runner::Shutdown{!lost_workers_}));
  }
  if (!channel_.Drain(lost_workers_ ? 1 : 10)) lost_workers_ = true;
}

}  // namespace qlsweep::runner
