// The NCCL backend of the Communicator: CUDA memory, one rank per GPU. Built only where CMake
// found NCCL, CUDA and MPI (then QLSWEEP_WITH_NCCL is 1).
#pragma once

#include <mpi.h>

#include <memory>

#include "trainer/dist/communicator.h"

namespace qlsweep::dist {

// A communicator of the ranks of `bootstrap` (collective over it), on CUDA device `cuda_device`
// (usually MpiSession::local_rank(); two ranks may not share a device). Rank 0 makes the NCCL
// unique id and broadcasts it over `bootstrap`; every rank then creates a non-blocking NCCL
// communicator (ncclCommInitRankConfig, config.blocking = 0). Each collective is enqueued on the
// communicator's own stream or the one SetStream gave, then polled (cudaStreamQuery and
// ncclCommGetAsyncError) until the stream is done; past options.timeout_s, or on an NCCL or CUDA
// error, the NCCL communicator is aborted (ncclCommAbort) and CommError thrown. The bootstrap's
// broadcast and the creation time out alike. Leaves `cuda_device` current on the calling thread.
std::unique_ptr<Communicator> MakeNcclCommunicator(MPI_Comm bootstrap, int cuda_device,
                                                   const CommOptions& options = {});

}  // namespace qlsweep::dist
