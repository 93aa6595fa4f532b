// The launcher's variables: when a process is an MPI rank, and which variables its trial
// processes start without (a trial's own mpirun must not join the outer job).
#include "runner/launcher_env.h"

#include <gtest/gtest.h>

namespace qlsweep::runner {
namespace {

TEST(LauncherEnv, RanksOfOpenMpiSlurmAndHydraAreRecognised) {
  const char* plain[] = {"PATH=/bin", "OMPI_MCA_btl=^openib", "SLURM_JOB_ID=7", nullptr};
  EXPECT_FALSE(LaunchedAsRank(plain));  // a user setting or a batch script is no rank
  EXPECT_FALSE(LaunchedAsRank(nullptr));
  for (const char* marker :
       {"OMPI_COMM_WORLD_SIZE=4", "PMIX_RANK=0", "SLURM_PROCID=2", "PMI_RANK=1"}) {
    const char* rank[] = {"PATH=/bin", marker, nullptr};
    EXPECT_TRUE(LaunchedAsRank(rank)) << marker;
  }
}

TEST(LauncherEnv, LauncherVariablesGoUserTransportSettingsStay) {
  const char* env[] = {"PATH=/bin",
                       "OMPI_COMM_WORLD_RANK=1",
                       "OMPI_COMM_WORLD_LOCAL_RANK=1",
                       "OMPI_MCA_orte_hnp_uri=1.0;tcp://10.0.0.1:1",
                       "OMPI_MCA_ess_base_vpid=1",
                       "OMPI_MCA_pmix=^s1",
                       "OMPI_MCA_mpi_oversubscribe=0",
                       "OMPI_MCA_btl_vader_single_copy_mechanism=none",
                       "OMPI_MCA_pml=ob1",
                       "OMPI_ALLOW_RUN_AS_ROOT=1",
                       "PMIX_RANK=1",
                       "PMIX_SERVER_URI4=x",
                       "PRTE_MCA_x=1",
                       "OPAL_PREFIX=/usr",
                       "PMI_FD=5",
                       "HYDRA_CONTROL_FD=6",
                       "SLURM_PROCID=1",
                       "SLURM_STEP_ID=0",
                       "SLURM_JOB_ID=42",
                       "CUDA_VISIBLE_DEVICES=0,1",
                       "OMP_NUM_THREADS=4",
                       nullptr};
  EXPECT_EQ(LauncherVariables(env),
            (std::vector<std::string>{
                "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_LOCAL_RANK", "OMPI_MCA_orte_hnp_uri",
                "OMPI_MCA_ess_base_vpid", "OMPI_MCA_pmix", "OMPI_MCA_mpi_oversubscribe",
                "PMIX_RANK", "PMIX_SERVER_URI4", "PRTE_MCA_x", "OPAL_PREFIX", "PMI_FD",
                "HYDRA_CONTROL_FD", "SLURM_PROCID", "SLURM_STEP_ID", "SLURM_JOB_ID"}));
}

}  // namespace
}  // namespace qlsweep::runner
