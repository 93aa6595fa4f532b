// The MPI backend of the Communicator: host memory, for CPU trials and the mpi tests.
#pragma once

#include <mpi.h>

#include <memory>

#include "trainer/dist/communicator.h"

namespace qlsweep::dist {

// A communicator over a duplicate of `comm` (collective over `comm`; the caller keeps `comm`,
// whose own traffic never mixes with the communicator's). Buffers are host memory. Each
// collective is non-blocking MPI (MPI_Iallreduce, MPI_Ireduce_scatter_block, MPI_Iallgather,
// MPI_Ibcast, MPI_Ibarrier) polled with MPI_Test until done or options.timeout_s, then CommError
// (timed_out). MPI errors on the duplicate return (MPI_ERRORS_RETURN) and become CommError; a
// peer process that dies still ends the whole Open MPI job (docs/distributed.md). Counts (and
// count * Size() for ReduceScatterSum and AllGather) must fit MPI's int (std::invalid_argument
// otherwise). MPI must outlive the communicator (destroy it before MpiSession ends). A collective
// that timed out stays pending inside MPI (MPI cannot cancel one) and may still write its result
// into the caller's buffers if the late peer arrives: after a CommError, end the process.
std::unique_ptr<Communicator> MakeMpiCommunicator(MPI_Comm comm, const CommOptions& options = {});

}  // namespace qlsweep::dist
