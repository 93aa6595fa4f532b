// Farm scheduling: worker GPUs, longest-first order, best-fit placement with holds for sharded
// trials.
#include "runner/farm_schedule.h"

#include <algorithm>
#include <map>

#include "runner/trial_prediction.h"

namespace qlsweep::runner {

std::vector<FarmWorker> FarmWorkers(const std::vector<WorkerHello>& hellos) {
  std::vector<FarmWorker> workers;
  for (size_t i = 0; i < hellos.size(); ++i) {
    workers.push_back({static_cast<int>(i) + 1, hellos[i].host, hellos[i].pid, hellos[i].local_rank,
                       "", hellos[i].cpus, hellos[i].node_cpus, WorkerState::kIdle});
  }
  for (size_t i = 0; i < workers.size(); ++i) {
    const auto& devices = hellos[i].devices;
    if (devices.empty()) continue;
    size_t ordinal = 0;  // workers before this one on its host, in local-rank order
    for (const auto& other : workers) {
      if (other.host == workers[i].host && std::pair(other.local_rank, other.rank) <
                                               std::pair(workers[i].local_rank, workers[i].rank)) {
        ++ordinal;
      }
    }
    workers[i].gpu = devices[ordinal % devices.size()];
  }
  return workers;
}

std::deque<const sweeps::TrialConfig*> LongestFirst(
    const std::deque<const sweeps::TrialConfig*>& pending) {
  struct Keyed {
    double work, peak;
    const sweeps::TrialConfig* trial;
  };
  std::vector<Keyed> keyed;
  for (const auto* trial : pending) {
    keyed.push_back({PredictedWork(*trial), PredictedPeakBytes(*trial), trial});
  }
  std::stable_sort(keyed.begin(), keyed.end(), [](const Keyed& a, const Keyed& b) {
    return a.work != b.work ? a.work > b.work : a.peak > b.peak;
  });
  std::deque<const sweeps::TrialConfig*> ordered;
  for (const auto& k : keyed) ordered.push_back(k.trial);
  return ordered;
}

int LargestHost(const std::vector<FarmWorker>& workers) {
  std::map<std::string, int> count;
  int most = 0;
  for (const auto& w : workers) {
    if (w.state != WorkerState::kLost) most = std::max(most, ++count[w.host]);
  }
  return most;
}

int WorkersNeeded(int gpus, const std::vector<FarmWorker>& workers) {
  const int wanted = std::max(1, gpus);
  const bool any_gpu = std::any_of(workers.begin(), workers.end(),
                                   [](const FarmWorker& w) { return !w.gpu.empty(); });
  return any_gpu ? wanted : std::min(wanted, std::max(1, LargestHost(workers)));
}

std::vector<Placement> SchedulePass(const std::vector<FarmWorker>& workers,
                                    const std::vector<int>& needs) {
  std::vector<bool> taken(workers.size(), false);  // started this pass, or held
  for (size_t i = 0; i < workers.size(); ++i) taken[i] = workers[i].state != WorkerState::kIdle;
  // The free workers of each host, in rank order (hosts in order of their first worker).
  const auto free_by_host = [&] {
    std::vector<std::pair<std::string, std::vector<size_t>>> hosts;
    for (size_t i = 0; i < workers.size(); ++i) {
      auto it = std::find_if(hosts.begin(), hosts.end(),
                             [&](const auto& h) { return h.first == workers[i].host; });
      if (it == hosts.end()) it = hosts.insert(hosts.end(), {workers[i].host, {}});
      if (!taken[i]) it->second.push_back(i);
    }
    return hosts;
  };
  std::map<std::string, int> host_size;
  for (const auto& w : workers) host_size[w.host] += w.state != WorkerState::kLost ? 1 : 0;

  std::vector<Placement> placements;
  for (size_t q = 0; q < needs.size(); ++q) {
    const size_t need = static_cast<size_t>(std::max(1, needs[q]));
    const auto hosts = free_by_host();
    const std::vector<size_t>* best = nullptr;
    for (const auto& [host, free] : hosts) {
      if (free.size() >= need && (best == nullptr || free.size() < best->size())) best = &free;
    }
    if (best != nullptr) {
      Placement p{q, {best->begin(), best->begin() + static_cast<long>(need)}};
      for (size_t i : p.workers) taken[i] = true;
      placements.push_back(std::move(p));
      continue;
    }
    if (need == 1) continue;
    const std::vector<size_t>* hold = nullptr;  // where it fits soonest
    for (const auto& [host, free] : hosts) {
      if (static_cast<size_t>(host_size[host]) >= need &&
          (hold == nullptr || free.size() > hold->size())) {
        hold = &free;
      }
    }
    if (hold != nullptr) {
      for (size_t i : *hold) taken[i] = true;
    }
  }
  return placements;
}

}  // namespace qlsweep::runner
