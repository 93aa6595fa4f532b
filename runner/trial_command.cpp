// Building a trial's command line, plain or under mpirun (see trial_command.h).
#include "runner/trial_command.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "runner/launcher_env.h"

namespace qlsweep::runner {

std::string FindMpirun() {
  if (const char* set = std::getenv("QLSWEEP_MPIRUN"); set != nullptr && *set != '\0') return set;
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const auto candidate = std::filesystem::path(dir.empty() ? "." : dir) / "mpirun";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return "";
}

std::string LauncherFailure(const std::string& log_path) {
  std::ifstream log(log_path);
  std::string line, found;
  while (std::getline(log, line)) {
    const auto at = line.find("noticed that process rank ");
    if (at == std::string::npos) continue;
    found = line.substr(at + std::string("noticed that ").size());
    // "process rank 1 with PID 0 on node vm exited on signal 9 (Killed)." -> without PID/node
    const auto with = found.find(" with PID ");
    const auto exited = found.find(" exited ");
    if (with != std::string::npos && exited != std::string::npos && with < exited) {
      found = found.substr(0, with) + found.substr(exited);
    }
    while (!found.empty() && (found.back() == '.' || found.back() == ' ')) found.pop_back();
  }
  return found;
}

std::string LastLogLine(const std::string& log_path) {
  std::ifstream log(log_path);
  std::string line, last;
  while (std::getline(log, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty() && line.front() != '{') last = line;
  }
  constexpr size_t kMax = 400;
  if (last.size() > kMax) last = last.substr(0, kMax) + "...";
  return last;
}

TrialCommand BuildTrialCommand(const TrialCommandInputs& in) {
  TrialCommand cmd;
  if (in.ranks > 1) {
    const auto mpirun = FindMpirun();
    if (mpirun.empty()) {
      throw std::runtime_error("hardware.gpus is " + std::to_string(in.ranks) +
                               " but no mpirun was found (install Open MPI or set QLSWEEP_MPIRUN)");
    }
    cmd.argv = {mpirun, "-np", std::to_string(in.ranks), "--oversubscribe", "--bind-to", "none"};
    if (::geteuid() == 0) cmd.argv.push_back("--allow-run-as-root");
  }
  const auto sharing = static_cast<unsigned>(std::max(1, in.ranks) * std::max(1, in.host_trials));
  if (sharing > 1 && std::getenv("OMP_NUM_THREADS") == nullptr) {
    const auto cores = std::max(1u, std::thread::hardware_concurrency());
    cmd.env["OMP_NUM_THREADS"] = std::to_string(std::max(1u, cores / sharing));
  }
  cmd.argv.insert(cmd.argv.end(), {in.self_exe, "train", in.config_path});
  if (!in.h5_path.empty()) cmd.argv.insert(cmd.argv.end(), {"--h5", in.h5_path});
  if (!in.adapter_dir.empty()) {
    cmd.argv.insert(cmd.argv.end(), {"--save-adapter", in.adapter_dir});
  }
  if (!in.cuda_visible_devices.empty()) cmd.env["CUDA_VISIBLE_DEVICES"] = in.cuda_visible_devices;
  if (LaunchedAsRank(environ)) cmd.unset = LauncherVariables(environ);
  return cmd;
}

}  // namespace qlsweep::runner
