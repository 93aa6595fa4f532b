// MpiSession: MPI_Init_thread / MPI_Finalize and the rank's place (world, node) from the
// launcher's environment or MPI.
#include "trainer/dist/mpi_session.h"

#include <cstdlib>
#include <stdexcept>
#include <string>

#include "trainer/dist/mpi_wait.h"

namespace qlsweep::dist {
namespace {

std::optional<int> IntFromEnvironment(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  char* end = nullptr;
  const long parsed = std::strtol(value, &end, 10);
  if (*end != '\0' || parsed < 0) return std::nullopt;
  return static_cast<int>(parsed);
}

void Check(int rc, const char* call) {
  if (rc != MPI_SUCCESS)
    throw std::runtime_error(std::string(call) + " failed: " + MpiErrorText(rc));
}

}  // namespace

bool MpiSession::LaunchedByMpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "SLURM_PROCID", "PMI_RANK"}) {
    if (std::getenv(name) != nullptr) return true;
  }
  return false;
}

std::optional<int> MpiSession::LocalRankFromEnvironment() {
  if (auto open_mpi = IntFromEnvironment("OMPI_COMM_WORLD_LOCAL_RANK")) return open_mpi;
  return IntFromEnvironment("SLURM_LOCALID");
}

MpiSession::MpiSession(int* argc, char*** argv, int required_thread_level) {
  int initialized = 0;
  int finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (finalized) throw std::runtime_error("MpiSession: MPI was finalized already");
  if (!initialized) {
    int provided = 0;
    Check(MPI_Init_thread(argc, argv, required_thread_level, &provided), "MPI_Init_thread");
    initialized_here_ = true;
    if (provided < required_thread_level) {
      MPI_Finalize();
      throw std::runtime_error("MpiSession: MPI provides thread level " + std::to_string(provided) +
                               ", below the required " + std::to_string(required_thread_level));
    }
  }
  Check(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
  Check(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
  MPI_Comm node = MPI_COMM_NULL;
  Check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node),
        "MPI_Comm_split_type");
  int node_rank = 0;
  MPI_Comm_rank(node, &node_rank);
  MPI_Comm_size(node, &local_size_);
  int lowest_world_rank = rank_;
  Check(MPI_Allreduce(&rank_, &lowest_world_rank, 1, MPI_INT, MPI_MIN, node),
        "MPI_Allreduce (node)");
  node_has_rank0_ = lowest_world_rank == 0;
  MPI_Comm_free(&node);
  local_rank_ = node_rank;
  if (auto open_mpi = IntFromEnvironment("OMPI_COMM_WORLD_LOCAL_RANK")) {
    local_rank_ = *open_mpi;
  } else if (IntFromEnvironment("SLURM_PROCID") == rank_) {
    // SLURM_LOCALID is srun's; under mpirun inside an allocation it is the batch step's (0).
    local_rank_ = IntFromEnvironment("SLURM_LOCALID").value_or(node_rank);
  }
}

MpiSession::~MpiSession() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (initialized_here_ && !finalized) MPI_Finalize();
}

}  // namespace qlsweep::dist
