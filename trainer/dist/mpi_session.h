// MpiSession: MPI's lifetime in a process (init once, finalize at the end) and where this rank
// sits: world rank and size, and its local rank on the node (which GPU it takes).
#pragma once

#include <mpi.h>

#include <optional>

namespace qlsweep::dist {

class MpiSession {
 public:
  // Initialises MPI with MPI_Init_thread(argc, argv, required_thread_level) unless it already is
  // (then this session only reads it and never finalizes). argc/argv may be null. Throws
  // std::runtime_error if MPI was finalized already, fails to start, or gives a lower thread
  // level than required. Collective over MPI_COMM_WORLD (it finds the ranks on this node).
  explicit MpiSession(int* argc = nullptr, char*** argv = nullptr,
                      int required_thread_level = MPI_THREAD_FUNNELED);
  // MPI_Finalize if this session initialised MPI. Destroy every communicator first.
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  int rank() const { return rank_; }  // in MPI_COMM_WORLD
  int size() const { return size_; }
  // Rank among the ranks on this node: the launcher's OMPI_COMM_WORLD_LOCAL_RANK, else
  // SLURM_LOCALID when srun started this rank (SLURM_PROCID is its world rank), else the rank in
  // MPI_Comm_split_type(MPI_COMM_TYPE_SHARED). The CUDA device of a one-GPU-per-rank trial.
  int local_rank() const { return local_rank_; }
  int local_size() const { return local_size_; }  // ranks on this node (split_type)
  // Whether world rank 0 (a farm's coordinator, which runs no trial) is one of this node's ranks.
  bool node_has_rank0() const { return node_has_rank0_; }
  bool initialized_here() const { return initialized_here_; }

  // Whether a launcher started this process as a rank: Open MPI's mpirun/mpiexec
  // (OMPI_COMM_WORLD_SIZE or PMIX_RANK), Slurm's srun (SLURM_PROCID) or an MPICH/Hydra launcher
  // (PMI_RANK). A plain single-process run says false and should not initialise MPI.
  static bool LaunchedByMpi();
  // The local rank the launcher's environment gives (OMPI_COMM_WORLD_LOCAL_RANK, else
  // SLURM_LOCALID), readable before MPI starts; nullopt when neither is set.
  static std::optional<int> LocalRankFromEnvironment();

 private:
  bool initialized_here_ = false;
  int rank_ = 0;
  int size_ = 1;
  int local_rank_ = 0;
  int local_size_ = 1;
  bool node_has_rank0_ = true;
};

}  // namespace qlsweep::dist
