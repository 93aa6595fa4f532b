// The farm worker's loop: messages from rank 0, one trial child at a time, lines and exits back.
#include "runner/farm_worker.h"

#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include "runner/child_process.h"
#include "runner/farm_messages.h"
#include "runner/trial_attempt.h"
#include "runner/trial_command.h"

namespace qlsweep::runner {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int kPollMs = 20;
constexpr double kDrainS = 5;  // how long the last messages may take to leave

std::string HostName() {
  char name[256] = {};
  gethostname(name, sizeof(name) - 1);
  return name;
}

double Since(Clock::time_point then) {
  return std::chrono::duration<double>(Clock::now() - then).count();
}

// The trial this worker runs now.
struct WorkerTrial {
  std::string id;
  std::unique_ptr<ChildProcess> child;
  std::string log_path;
  std::uintmax_t log_offset = 0;  // where this attempt's stderr starts in the log
  bool signalled = false;
  Clock::time_point signalled_at;
  Clock::time_point started = Clock::now();
};

class Worker {
 public:
  Worker(FarmChannel& channel, const WorkerOptions& options)
      : channel_(channel),
        options_(options),
        host_(HostName()),
        dir_(WorkerDirectory(options.settings, options.db_path, host_, channel.rank())) {}

  WorkerEnd Serve() {
    for (const char* sub : {"trials", "logs"}) fs::create_directories(dir_ / sub);
    cpu_set_t affinity;
    CPU_ZERO(&affinity);
    const int cpus =
        sched_getaffinity(0, sizeof(affinity), &affinity) == 0 ? CPU_COUNT(&affinity) : 0;
    channel_.Send(
        0, FarmTag::kHello,
        Encode(WorkerHello{host_, static_cast<int>(getpid()), options_.local_rank, options_.devices,
                           cpus, static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN))}));
    auto last_heard = Clock::now(), last_beat = Clock::now();
    for (;;) {
      while (auto message = channel_.TryReceive()) {
        last_heard = Clock::now();
        OnMessage(*message);
      }
      if (trial_) {
        Pump();
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
      }
      if (Since(last_beat) >= options_.settings.heartbeat_s) {
        channel_.Send(0, FarmTag::kHeartbeat, "");
        last_beat = Clock::now();
      }
      if (Since(last_heard) > options_.settings.lease_s) {
        std::fprintf(stderr,
                     "qlsweep worker rank %d (%s): no word from the coordinator for %.0f s; "
                     "stopping\n",
                     channel_.rank(), host_.c_str(), options_.settings.lease_s);
        trial_.reset();  // ~ChildProcess: SIGKILL and reap
        return {1, false};
      }
      if (shutdown_ && !trial_) {
        channel_.Drain(kDrainS);
        return {0, finalize_};
      }
    }
  }

 private:
  void OnMessage(const FarmChannel::Message& message) {
    switch (message.tag) {
      case FarmTag::kAssign:
        Launch(Decode<Assignment>(message.payload));
        break;
      case FarmTag::kStop:
        if (trial_ && trial_->id == Decode<StopOrder>(message.payload).trial_id) Stop();
        break;
      case FarmTag::kShutdown:
        shutdown_ = true;
        finalize_ = Decode<Shutdown>(message.payload).finalize;
        if (trial_) Stop();
        break;
      default:  // kPing: only that rank 0 is alive
        break;
    }
  }

  void Launch(const Assignment& a) {
    if (trial_) {  // never sent by a sane coordinator; say so rather than drop it
      Report(a.trial_id, {"worker rank " + std::to_string(channel_.rank()) + " is busy"},
             kLaunchFailedExit);
      return;
    }
    trial_ = std::make_unique<WorkerTrial>();
    trial_->id = a.trial_id;
    trial_->log_path = (dir_ / "logs" / (a.trial_id + ".log")).string();
    std::error_code ec;
    const auto size = fs::file_size(trial_->log_path, ec);
    trial_->log_offset = ec ? 0 : size;
    try {
      TrialCommandInputs in;
      in.self_exe = options_.self_exe;
      in.config_path = WriteTrialFile(a.document, a.trial_id, dir_ / "trials");
      if (a.save_adapter) {
        in.adapter_dir =
            (fs::absolute(options_.db_path).parent_path() / "adapters" / a.trial_id).string();
      }
      in.ranks = a.ranks;
      in.host_trials = options_.local_workers;
      in.cuda_visible_devices = a.cuda_visible_devices;
      const auto cmd = BuildTrialCommand(in);
      trial_->child =
          std::make_unique<ChildProcess>(cmd.argv, cmd.env, trial_->log_path, cmd.unset);
    } catch (const std::exception& e) {
      trial_.reset();
      Report(a.trial_id, {e.what()}, kLaunchFailedExit);  // recorded as the failure's message
    }
  }

  void Stop() {
    if (trial_->signalled) return;
    trial_->child->Signal(SIGTERM);
    trial_->signalled = true;
    trial_->signalled_at = Clock::now();
  }

  // Forwards what the trial wrote; sends its exit once it has ended.
  void Pump() {
    auto& child = *trial_->child;
    if (WaitReadable({&child}, kPollMs)[0]) {
      std::vector<std::string> lines;
      child.ReadAvailable(&lines);
      if (!lines.empty()) {
        channel_.Send(0, FarmTag::kLines, Encode(TrialLines{trial_->id, std::move(lines)}));
      }
    }
    if (trial_->signalled && Clock::now() - trial_->signalled_at > kKillGrace) {
      child.Signal(SIGKILL);
    }
    if (!child.at_eof()) return;
    const auto exit = child.TryWait();
    if (!exit) return;
    channel_.Send(
        0, FarmTag::kExit,
        Encode(TrialExit{trial_->id, exit->code, exit->signal, LogTail(), Since(trial_->started)}));
    trial_.reset();
  }

  // A trial that never started: its message as its only line, and an exit.
  void Report(const std::string& id, std::vector<std::string> lines, int exit_code) {
    channel_.Send(0, FarmTag::kLines, Encode(TrialLines{id, std::move(lines)}));
    channel_.Send(0, FarmTag::kExit, Encode(TrialExit{id, exit_code, 0, "", 0}));
  }

  // What this attempt appended to the trial's log, its last kLogTailBytes at most.
  std::string LogTail() const {
    std::ifstream log(trial_->log_path, std::ios::binary);
    if (!log) return "";
    log.seekg(0, std::ios::end);
    const auto size = static_cast<std::uintmax_t>(log.tellg());
    const auto from = std::max(trial_->log_offset, size > kLogTailBytes ? size - kLogTailBytes : 0);
    if (from >= size) return "";
    std::string tail(size - from, '\0');
    log.seekg(static_cast<std::streamoff>(from));
    log.read(tail.data(), static_cast<std::streamsize>(tail.size()));
    return tail;
  }

  FarmChannel& channel_;
  const WorkerOptions& options_;
  std::string host_;
  fs::path dir_;
  std::unique_ptr<WorkerTrial> trial_;
  bool shutdown_ = false;
  bool finalize_ = true;
};

}  // namespace

WorkerEnd ServeTrials(FarmChannel& channel, const WorkerOptions& options) {
  return Worker(channel, options).Serve();
}

}  // namespace qlsweep::runner
