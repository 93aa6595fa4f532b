// Detects host name, version and git revision, and merges them with the trainer's started event.
#include "runner/trial_environment.h"

#include <unistd.h>

#include "protocol/events.h"
#include "runner/build_revision.h"
#include "runner/version.h"

namespace qlsweep::runner {

CoordinatorEnvironment DetectCoordinatorEnvironment() {
  CoordinatorEnvironment env;
  char name[256] = {};
  gethostname(name, sizeof(name) - 1);
  env.host = name;
  env.version = kVersion;
  env.git_revision = kBuildGitRevision;
  env.git_dirty = kBuildGitDirty;
  return env;
}

std::map<std::string, std::string> TrialEnvironment(const CoordinatorEnvironment& coordinator,
                                                    const std::string& gpu_slot,
                                                    const nlohmann::json& started) {
  std::map<std::string, std::string> env = {{"host", coordinator.host},
                                            {"qlsweep_version", coordinator.version}};
  if (!coordinator.git_revision.empty()) env["git_revision"] = coordinator.git_revision;
  if (coordinator.git_dirty) env["git_dirty"] = "true";
  if (!gpu_slot.empty()) env["gpu_slot"] = gpu_slot;
  if (started.is_object()) {
    for (std::string_view field : {protocol::field::kDevice, protocol::field::kDtype}) {
      const std::string key(field);  // stored under the started event's field name
      if (started.contains(key) && started[key].is_string())
        env[key] = started[key].get<std::string>();
    }
  }
  return env;
}

}  // namespace qlsweep::runner
