// Launcher variables of an MPI rank: detection and the list a trial process is started without.
#include "runner/launcher_env.h"

#include <string_view>

namespace qlsweep::runner {
namespace {

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

std::string_view NameOf(std::string_view entry) { return entry.substr(0, entry.find('=')); }

// What a user sets for Open MPI's transports (e.g. OMPI_MCA_btl_vader_single_copy_mechanism=none
// in a container): a trial's own mpirun needs it as much as the outer job did.
bool UserSetting(std::string_view name) {
  if (StartsWith(name, "OMPI_ALLOW_RUN_AS_ROOT")) return true;
  constexpr std::string_view kMca = "OMPI_MCA_";
  if (!StartsWith(name, kMca)) return false;
  const auto param = name.substr(kMca.size());
  for (std::string_view kept :
       {"btl", "pml", "mtl", "osc", "coll", "opal", "hwloc", "mpi_warn_on_fork"}) {
    if (StartsWith(param, kept)) return true;
  }
  return false;
}

}  // namespace

bool LaunchedAsRank(const char* const* environment) {
  for (; environment != nullptr && *environment != nullptr; ++environment) {
    const auto name = NameOf(*environment);
    for (std::string_view marker :
         {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "SLURM_PROCID", "PMI_RANK"}) {
      if (name == marker) return true;
    }
  }
  return false;
}

std::vector<std::string> LauncherVariables(const char* const* environment) {
  std::vector<std::string> names;
  for (; environment != nullptr && *environment != nullptr; ++environment) {
    const auto name = NameOf(*environment);
    for (std::string_view prefix :
         {"OMPI_", "PMIX_", "PRTE_", "OPAL_", "PMI_", "HYDRA_", "SLURM_"}) {
      if (StartsWith(name, prefix) && !UserSetting(name)) {
        names.emplace_back(name);
        break;
      }
    }
  }
  return names;
}

}  // namespace qlsweep::runner
