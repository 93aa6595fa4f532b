// Communicator: the collectives a sharded trial needs, over raw buffers (torch-free), with two
// backends: MPI for host memory (CPU trials, the mpi tests) and NCCL for CUDA memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

namespace qlsweep::dist {

enum class DType { kFloat32, kFloat64, kBFloat16, kFloat16, kUInt8, kInt32, kInt64 };
size_t DTypeSize(DType dtype);
// "float32", "bfloat16", ...: for messages.
const char* DTypeName(DType dtype);

// Where a communicator's buffers must live.
enum class Memory { kHost, kCuda };

// A collective that failed or did not finish within the timeout (a peer died or hung). The
// communicator is unusable afterwards; the trial ends with an error naming rank and operation.
class CommError : public std::runtime_error {
 public:
  CommError(const std::string& what, bool timed_out)
      : std::runtime_error(what), timed_out_(timed_out) {}
  bool timed_out() const { return timed_out_; }

 private:
  bool timed_out_;
};

struct CommOptions {
  double timeout_s = 600;  // a collective not finished by then throws CommError (timed_out);
                           // <= 0: no limit
};

// Every call is collective (all ranks call it in the same order) and synchronous: it returns when
// the result is in place (for NCCL: when the work on the stream has completed). Counts are in
// elements; summing kUInt8 is not supported (gather/broadcast only).
//
// Argument errors (summing kUInt8, a root outside [0, Size()), overlapping buffers other than the
// in-place forms below, a count the backend cannot address) throw std::invalid_argument before
// anything is sent; every rank then throws alike when all pass the same arguments. After a
// CommError (or Abort) every further call throws CommError at once.
//
// One thread at a time: a communicator is not thread-safe.
class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int Rank() const = 0;
  virtual int Size() const = 0;
  virtual Memory memory() const = 0;

  // data[count] <- elementwise sum over ranks of data[count].
  virtual void AllReduceSum(void* data, size_t count, DType dtype) = 0;
  // send[count * Size()] -> recv[count]: the sum over ranks of their chunk number Rank().
  // In place: recv == send + Rank() * count (in elements). Otherwise the buffers must not overlap.
  virtual void ReduceScatterSum(const void* send, void* recv, size_t count, DType dtype) = 0;
  // send[count] -> recv[count * Size()]: rank i's send lands at recv + i * count.
  // In place: send == recv + Rank() * count (in elements). Otherwise the buffers must not overlap.
  virtual void AllGather(const void* send, void* recv, size_t count, DType dtype) = 0;
  // data[count] <- root's data[count].
  virtual void Broadcast(void* data, size_t count, DType dtype, int root) = 0;
  virtual void Barrier() = 0;

  // Added to the first interface:

  // kCuda: the cudaStream_t (passed as void*) that later collectives are enqueued on and waited
  // for; nullptr restores the communicator's own stream. The stream must belong to the
  // communicator's device. Work already queued on it runs first, so passing the compute stream
  // orders collectives after the kernels that produce their input. kHost: only nullptr is valid
  // (std::invalid_argument otherwise).
  virtual void SetStream(void* cuda_stream) = 0;
  // Makes the communicator unusable (every later call throws CommError) without the peers'
  // cooperation, e.g. when this rank gives up for a reason of its own. NCCL: ncclCommAbort (frees
  // its resources; no handshake). MPI cannot cancel a collective: Abort only marks the
  // communicator; a rank that gives up should end its process, which ends the Open MPI job
  // (docs/distributed.md).
  virtual void Abort() = 0;
};

}  // namespace qlsweep::dist
