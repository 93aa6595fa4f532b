// MpiCommunicator: the Communicator's collectives as non-blocking MPI calls polled to completion
// or timeout.
#include "trainer/dist/mpi_communicator.h"

#include <climits>
#include <cstring>
#include <memory>
#include <string>

#include "trainer/dist/checked_communicator.h"
#include "trainer/dist/mpi_types.h"
#include "trainer/dist/mpi_wait.h"

namespace qlsweep::dist {
namespace {

int IntCount(size_t count, int factor, const char* op) {
  if (count > static_cast<size_t>(INT_MAX / factor)) {
    throw std::invalid_argument(std::string(op) + ": " + std::to_string(count) +
                                " elements per rank is more than MPI's int count allows");
  }
  return static_cast<int>(count);
}

class MpiCommunicator final : public CheckedCommunicator {
 public:
  MpiCommunicator(MPI_Comm comm, int rank, int size, const CommOptions& options)
      : CheckedCommunicator("MPI", rank, size, options), comm_(comm) {}

  ~MpiCommunicator() override {
    int finalized = 0;
    MPI_Finalized(&finalized);
    // Freeing with a collective still pending (after a timeout) is allowed: it only marks the
    // communicator for deallocation once that collective ends.
    if (!finalized) MPI_Comm_free(&comm_);
  }

  Memory memory() const override { return Memory::kHost; }

  void SetStream(void* cuda_stream) override {
    if (cuda_stream != nullptr) {
      throw std::invalid_argument("SetStream: an MPI communicator has no CUDA stream");
    }
  }

 protected:
  void DoAllReduceSum(void* data, size_t count, DType dtype) override {
    const int n = IntCount(count, 1, "AllReduceSum");
    MPI_Request request;
    Check(MPI_Iallreduce(MPI_IN_PLACE, data, n, MpiDatatype(dtype), ops_.For(dtype), comm_,
                         &request));
    Wait(&request);
  }

  void DoReduceScatterSum(const void* send, void* recv, size_t count, DType dtype) override {
    const int n = IntCount(count, Size(), "ReduceScatterSum");
    const size_t bytes = count * DTypeSize(dtype);
    const auto* own_chunk = static_cast<const char*>(send) + Rank() * bytes;
    // In place (recv is this rank's chunk of send): MPI's in-place form differs (the result lands
    // at the start of the buffer), so the result goes through a scratch buffer.
    const bool in_place = count > 0 && recv == own_chunk;
    std::unique_ptr<char[]> scratch(in_place ? new char[bytes] : nullptr);
    void* out = in_place ? scratch.get() : recv;
    MPI_Request request;
    Check(MPI_Ireduce_scatter_block(send, out, n, MpiDatatype(dtype), ops_.For(dtype), comm_,
                                    &request));
    try {
      Wait(&request);
    } catch (const CommError&) {
      // A timed-out collective stays pending and may still write its result when a late peer
      // arrives: the scratch buffer must outlive it, so it is left allocated.
      (void)scratch.release();
      throw;
    }
    if (in_place) std::memcpy(recv, scratch.get(), bytes);
  }

  void DoAllGather(const void* send, void* recv, size_t count, DType dtype) override {
    const int n = IntCount(count, Size(), "AllGather");
    const auto* own_chunk = static_cast<const char*>(recv) + Rank() * count * DTypeSize(dtype);
    const void* from = count > 0 && send == own_chunk ? MPI_IN_PLACE : send;
    MPI_Request request;
    Check(
        MPI_Iallgather(from, n, MpiDatatype(dtype), recv, n, MpiDatatype(dtype), comm_, &request));
    Wait(&request);
  }

  void DoBroadcast(void* data, size_t count, DType dtype, int root) override {
    const int n = IntCount(count, 1, "Broadcast");
    MPI_Request request;
    Check(MPI_Ibcast(data, n, MpiDatatype(dtype), root, comm_, &request));
    Wait(&request);
  }

  void DoBarrier() override {
    MPI_Request request;
    Check(MPI_Ibarrier(comm_, &request));
    Wait(&request);
  }

  void DoAbort() override {}  // nothing MPI can cancel (communicator.h)

 private:
  void Check(int rc) {
    if (rc != MPI_SUCCESS) throw Failed(MpiErrorText(rc));
  }

  // Polls the request until it completes, or throws TimedOut (the request stays pending: MPI
  // cannot cancel a collective, and the communicator stays unusable).
  void Wait(MPI_Request* request) {
    int rc = MPI_SUCCESS;
    const bool done = TestUntil(request, timeout_s(), &rc);
    Check(rc);
    if (!done) throw TimedOut();
  }

  MPI_Comm comm_;
  MpiSumOps ops_;
};

}  // namespace

std::unique_ptr<Communicator> MakeMpiCommunicator(MPI_Comm comm, const CommOptions& options) {
  // MPI_Comm_idup, polled: a rank that never gets here times the others out as a collective would.
  MPI_Comm own = MPI_COMM_NULL;
  MPI_Request request;
  int rc = MPI_Comm_idup(comm, &own, &request);
  const bool done = rc == MPI_SUCCESS && TestUntil(&request, options.timeout_s, &rc);
  if (rc != MPI_SUCCESS) {
    throw CommError("MakeMpiCommunicator: MPI_Comm_idup failed: " + MpiErrorText(rc), false);
  }
  if (!done) {
    throw CommError("MakeMpiCommunicator: MPI_Comm_idup did not finish within " +
                        FormatSeconds(options.timeout_s) + " s: a peer rank did not call it",
                    true);
  }
  MPI_Comm_set_errhandler(own, MPI_ERRORS_RETURN);
  int rank = 0;
  int size = 1;
  MPI_Comm_rank(own, &rank);
  MPI_Comm_size(own, &size);
  return std::make_unique<MpiCommunicator>(own, rank, size, options);
}

}  // namespace qlsweep::dist
