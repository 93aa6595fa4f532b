// What a trial ran on, as recorded in the run index's environment table.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace qlsweep::runner {

// What the coordinator knows about itself, detected once per sweep.
struct CoordinatorEnvironment {
  std::string host;
  std::string version;       // qlsweep version
  std::string git_revision;  // the source revision the binary was built from; empty if unknown
  bool git_dirty = false;    // tracked files differed from that revision at build time
};

CoordinatorEnvironment DetectCoordinatorEnvironment();

// The environment rows of one trial: host, qlsweep_version, git_revision (when known), git_dirty
// ("true" when the build had uncommitted changes), gpu_slot
// (when the trial got a CUDA_VISIBLE_DEVICES of its own), and the trainer's `started` event
// fields device and dtype (when the event arrived; null `started` otherwise).
std::map<std::string, std::string> TrialEnvironment(const CoordinatorEnvironment& coordinator,
                                                    const std::string& gpu_slot,
                                                    const nlohmann::json& started);

}  // namespace qlsweep::runner
