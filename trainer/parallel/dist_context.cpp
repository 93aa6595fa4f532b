// Joining a sharded trial's MPI job and connecting its communicators (see dist_context.h).
#include "trainer/parallel/dist_context.h"

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#if QLSWEEP_WITH_MPI
#include "trainer/dist/mpi_communicator.h"
#include "trainer/dist/mpi_session.h"
#endif
#if QLSWEEP_WITH_NCCL
#include <c10/cuda/CUDAStream.h>

#include "trainer/dist/nccl_communicator.h"
#endif

namespace qlsweep::trainer {

torch::Device RankDevice(const DistContext& ctx) {
  const int count = static_cast<int>(torch::cuda::device_count());
  if (count == 0) throw std::runtime_error("no CUDA device for a sharded GPU trial");
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(ctx.local_rank % count));
}

#if QLSWEEP_WITH_MPI
namespace {

// One MPI session per process, finalized at exit (after every communicator is gone).
dist::MpiSession& Session() {
  static dist::MpiSession session;
  return session;
}

}  // namespace

std::unique_ptr<DistContext> JoinDistributed(const sweeps::TrialConfig& cfg) {
  const int want = cfg.hardware.gpus;
  if (!dist::MpiSession::LaunchedByMpi()) {
    throw std::invalid_argument("hardware.gpus is " + std::to_string(want) +
                                ": run the trial under `mpirun -np " + std::to_string(want) +
                                "` (qlsweep run does)");
  }
  auto& session = Session();
  if (session.size() != want) {
    throw std::invalid_argument("hardware.gpus is " + std::to_string(want) +
                                " but the MPI job has " + std::to_string(session.size()) +
                                " ranks");
  }
  auto ctx = std::make_unique<DistContext>();
  ctx->rank = session.rank();
  ctx->size = session.size();
  ctx->local_rank = session.local_rank();
  ctx->zero_stage = cfg.distributed.zero_stage;
  ctx->host = dist::MakeMpiCommunicator(MPI_COMM_WORLD);
  return ctx;
}

void ConnectTensors(DistContext& ctx, const torch::Device& device) {
  if (!device.is_cuda()) return;
#if QLSWEEP_WITH_NCCL
  ctx.device = dist::MakeNcclCommunicator(MPI_COMM_WORLD, device.index());
  ctx.device->SetStream(
      c10::cuda::getCurrentCUDAStream(device.index()).stream());  // see tensor_comm
#else
  throw std::invalid_argument("a sharded GPU trial needs NCCL, and this build has none");
#endif
}

#else
std::unique_ptr<DistContext> JoinDistributed(const sweeps::TrialConfig&) {
  throw std::invalid_argument("hardware.gpus > 1 needs MPI, and this build has none");
}
void ConnectTensors(DistContext&, const torch::Device&) {}
void AbortJob(int code) { std::_Exit(code); }
#endif

std::vector<int64_t> GatherInt64(DistContext& ctx, int64_t value) {
  std::vector<int64_t> all(static_cast<size_t>(ctx.size));
  ctx.host->AllGather(&value, all.data(), 1, dist::DType::kInt64);
  return all;
}

#if QLSWEEP_WITH_MPI
void AbortJob(int code) {
  std::fflush(stdout);
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);  // MPI_Abort does not return; in case it does
}
#endif

}  // namespace qlsweep::trainer
