// The launcher's environment of an MPI rank (mpirun, srun): whether this process is a rank, and
// which variables its trial processes must not inherit.
#pragma once

#include <string>
#include <vector>

namespace qlsweep::runner {

// Whether a launcher started this process as a rank of its job (`environment` like `environ`):
// Open MPI's mpirun (OMPI_COMM_WORLD_SIZE, PMIX_RANK), Slurm's srun (SLURM_PROCID) or an
// MPICH/Hydra launcher (PMI_RANK). The same test as dist::MpiSession::LaunchedByMpi.
bool LaunchedAsRank(const char* const* environment);

// The variables of `environment` through which a launcher made this process a rank: every
// OMPI_*, PMIX_*, PRTE_*, OPAL_*, PMI_*, HYDRA_* and SLURM_* name, except the user's Open MPI
// transport settings (OMPI_MCA_btl*, _pml*, _mtl*, _osc*, _coll*, _opal*, _hwloc*,
// OMPI_MCA_mpi_warn_on_fork) and OMPI_ALLOW_RUN_AS_ROOT*. A trial started with them would take
// itself for part of the outer job (its inner `mpirun -np k` too: Slurm's variables would make it
// place ranks on the allocation's nodes), so a rank's trials start without them.
std::vector<std::string> LauncherVariables(const char* const* environment);

}  // namespace qlsweep::runner
