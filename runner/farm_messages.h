// The MPI farm's messages between its coordinator (rank 0) and its workers (the other ranks):
// one MPI tag per kind, a JSON text as payload (docs/farm.md lists them).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace qlsweep::runner {

enum class FarmTag : int {
  kHello = 101,  // worker -> 0, once: WorkerHello
  kAssign,       // 0 -> worker: Assignment (run this trial)
  kStop,         // 0 -> worker: StopOrder (SIGTERM the trial, SIGKILL after the grace)
  kLines,        // worker -> 0: TrialLines (its trial's stdout lines, in order)
  kExit,         // worker -> 0: TrialExit (the trial's process ended)
  kHeartbeat,    // worker -> 0: alive (empty payload), every QLSWEEP_FARM_HEARTBEAT_S
  kPing,         // 0 -> worker: alive (empty payload), as often
  kShutdown,     // 0 -> worker: Shutdown (no more trials: exit)
};

struct WorkerHello {
  std::string host;
  int pid = 0;
  int local_rank = 0;                // the launcher's local rank on `host` (MpiSession)
  std::vector<std::string> devices;  // this node's GPUs (--gpus, CUDA_VISIBLE_DEVICES, /dev)
  int cpus = 0;       // CPUs its affinity allows (its trials inherit the launcher's binding)
  int node_cpus = 0;  // CPUs online on its host
};

struct Assignment {
  std::string trial_id;
  nlohmann::json document;           // the trial file's content (sweeps::TrialDocument)
  int ranks = 1;                     // hardware.gpus: > 1 runs `mpirun -np ranks`
  std::string cuda_visible_devices;  // the GPUs of the worker group; "" = inherited
  bool save_adapter = false;         // --save-adapter <db dir>/adapters/<id>/ on the worker's host
};

struct StopOrder {
  std::string trial_id;
};

struct TrialLines {
  std::string trial_id;
  std::vector<std::string> lines;
};

struct TrialExit {
  std::string trial_id;
  int exit_code = 0;
  int signal = 0;
  std::string log_tail;  // the end of what this attempt wrote to stderr (kLogTailBytes at most)
  double process_s = 0;  // the trial process's life on the worker, fork to reap
};

struct Shutdown {
  bool finalize = true;  // false after a lost worker: MPI_Finalize would wait for it forever
};

// At most this much of a trial's stderr log travels to the coordinator with its exit.
inline constexpr size_t kLogTailBytes = 64 * 1024;

// JSON forms: one key per field, named as the field (missing keys take the defaults above).
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(WorkerHello, host, pid, local_rank, devices, cpus,
                                                node_cpus)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Assignment, trial_id, document, ranks,
                                                cuda_visible_devices, save_adapter)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(StopOrder, trial_id)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TrialLines, trial_id, lines)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TrialExit, trial_id, exit_code, signal, log_tail,
                                                process_s)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Shutdown, finalize)

// A message as its payload text, and back (bytes that are not UTF-8, as a log may hold, become
// U+FFFD). Decode throws nlohmann::json::exception on a payload that is not such a message.
template <typename Message>
std::string Encode(const Message& message) {
  return nlohmann::json(message).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}
template <typename Message>
Message Decode(const std::string& payload) {
  return nlohmann::json::parse(payload).get<Message>();
}

}  // namespace qlsweep::runner
