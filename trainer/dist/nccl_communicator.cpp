// NcclCommunicator: collectives on a non-blocking NCCL communicator, enqueued on a CUDA stream and
// polled to completion, abort or timeout; bootstrapped over MPI.
#include "trainer/dist/nccl_communicator.h"

#include <cuda_runtime.h>
#include <nccl.h>

#include <chrono>
#include <string>

#include "trainer/dist/checked_communicator.h"
#include "trainer/dist/mpi_wait.h"
#include "trainer/dist/poll.h"

namespace qlsweep::dist {
namespace {

ncclDataType_t NcclType(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return ncclFloat32;
    case DType::kFloat64:
      return ncclFloat64;
    case DType::kBFloat16:
      return ncclBfloat16;
    case DType::kFloat16:
      return ncclFloat16;
    case DType::kUInt8:
      return ncclUint8;
    case DType::kInt32:
      return ncclInt32;
    case DType::kInt64:
      return ncclInt64;
  }
  throw std::invalid_argument("NcclType: unknown dtype");
}

std::string NcclErrorText(ncclResult_t rc, ncclComm_t comm) {
  std::string text = ncclGetErrorString(rc);
  const char* last = comm != nullptr ? ncclGetLastError(comm) : nullptr;
  if (last != nullptr && *last != '\0') text += std::string(" (") + last + ")";
  return text;
}

// Polls a non-blocking communicator's state until it leaves ncclInProgress; false on timeout.
bool SettleUntil(ncclComm_t comm, double timeout_s, ncclResult_t* state) {
  return PollUntil(
      [&] {
        if (ncclCommGetAsyncError(comm, state) != ncclSuccess) *state = ncclInternalError;
        return *state != ncclInProgress;
      },
      timeout_s);
}

// Makes `device` current for a scope and restores the previous one.
class DeviceScope {
 public:
  explicit DeviceScope(int device) {
    cudaGetDevice(&previous_);
    cudaSetDevice(device);
  }
  ~DeviceScope() { cudaSetDevice(previous_); }
  DeviceScope(const DeviceScope&) = delete;
  DeviceScope& operator=(const DeviceScope&) = delete;

 private:
  int previous_ = 0;
};

class NcclCommunicator final : public CheckedCommunicator {
 public:
  NcclCommunicator(ncclComm_t comm, int device, int rank, int size, const CommOptions& options)
      : CheckedCommunicator("NCCL", rank, size, options), comm_(comm), device_(device) {
    if (cudaStreamCreateWithFlags(&own_stream_, cudaStreamNonBlocking) != cudaSuccess ||
        cudaMalloc(&barrier_word_, sizeof(int)) != cudaSuccess) {
      cudaGetLastError();
      Release(/*finalize=*/false);
      throw CommError(
          "MakeNcclCommunicator: no CUDA stream or memory on device " + std::to_string(device),
          false);
    }
    stream_ = own_stream_;
  }

  ~NcclCommunicator() override { Release(/*finalize=*/usable()); }

  Memory memory() const override { return Memory::kCuda; }

  void SetStream(void* cuda_stream) override {
    stream_ = cuda_stream != nullptr ? static_cast<cudaStream_t>(cuda_stream) : own_stream_;
  }

 protected:
  void DoAllReduceSum(void* data, size_t count, DType dtype) override {
    DeviceScope scope(device_);
    Complete(ncclAllReduce(data, data, count, NcclType(dtype), ncclSum, comm_, stream_));
  }

  void DoReduceScatterSum(const void* send, void* recv, size_t count, DType dtype) override {
    DeviceScope scope(device_);
    Complete(ncclReduceScatter(send, recv, count, NcclType(dtype), ncclSum, comm_, stream_));
  }

  void DoAllGather(const void* send, void* recv, size_t count, DType dtype) override {
    DeviceScope scope(device_);
    Complete(ncclAllGather(send, recv, count, NcclType(dtype), comm_, stream_));
  }

  void DoBroadcast(void* data, size_t count, DType dtype, int root) override {
    DeviceScope scope(device_);
    Complete(ncclBroadcast(data, data, count, NcclType(dtype), root, comm_, stream_));
  }

  void DoBarrier() override {
    DeviceScope scope(device_);
    Complete(ncclAllReduce(barrier_word_, barrier_word_, 1, ncclInt32, ncclSum, comm_, stream_));
  }

  void DoAbort() override { AbortNccl(); }

 private:
  // Waits until the collective just issued (its call returned `rc`) has been enqueued and the
  // stream has run it; aborts the NCCL communicator and throws on an error or the timeout.
  void Complete(ncclResult_t rc) {
    const auto start = std::chrono::steady_clock::now();
    ncclResult_t state = rc;
    if (rc == ncclInProgress && !SettleUntil(comm_, timeout_s(), &state)) AbortAndThrow(TimedOut());
    if (state != ncclSuccess) AbortAndThrow(Failed(NcclErrorText(state, comm_)));
    const double left =
        timeout_s() -
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (timeout_s() > 0 && left <= 0) AbortAndThrow(TimedOut());
    cudaError_t stream_state = cudaSuccess;
    const bool done = PollUntil(
        [&] {
          if (ncclCommGetAsyncError(comm_, &state) != ncclSuccess) state = ncclInternalError;
          if (state != ncclSuccess && state != ncclInProgress) return true;
          stream_state = cudaStreamQuery(stream_);
          return stream_state != cudaErrorNotReady;
        },
        timeout_s() > 0 ? left : 0);
    if (!done) AbortAndThrow(TimedOut());
    if (state != ncclSuccess && state != ncclInProgress) {
      AbortAndThrow(Failed(NcclErrorText(state, comm_)));
    }
    if (stream_state != cudaSuccess) {
      cudaGetLastError();
      AbortAndThrow(Failed(std::string("CUDA: ") + cudaGetErrorString(stream_state)));
    }
  }

  [[noreturn]] void AbortAndThrow(const CommError& error) {
    AbortNccl();
    throw error;
  }

  void AbortNccl() {
    if (comm_ == nullptr) return;
    DeviceScope scope(device_);
    ncclCommAbort(comm_);
    comm_ = nullptr;
  }

  // Ends the NCCL communicator (finalize = flush and destroy politely, else abort) and frees the
  // stream and the barrier word. Never throws.
  void Release(bool finalize) {
    DeviceScope scope(device_);
    if (comm_ != nullptr && finalize) {
      ncclResult_t state = ncclCommFinalize(comm_);
      if (state == ncclInProgress) SettleUntil(comm_, timeout_s(), &state);
      if (state == ncclSuccess) {
        ncclCommDestroy(comm_);
        comm_ = nullptr;
      }
    }
    AbortNccl();
    if (barrier_word_ != nullptr) cudaFree(barrier_word_);
    if (own_stream_ != nullptr) cudaStreamDestroy(own_stream_);
    barrier_word_ = nullptr;
    own_stream_ = nullptr;
  }

  ncclComm_t comm_;
  int device_;
  cudaStream_t own_stream_ = nullptr;
  cudaStream_t stream_ = nullptr;
  int* barrier_word_ = nullptr;
};

// Rank 0's NCCL unique id, broadcast over `bootstrap` (polled, so a missing rank times out),
// with whether rank 0 could make one, so that every rank fails alike when it could not.
ncclUniqueId ShareUniqueId(MPI_Comm bootstrap, int rank, double timeout_s) {
  struct {
    ncclUniqueId id;
    int failed;
  } message{};
  if (rank == 0) message.failed = ncclGetUniqueId(&message.id) != ncclSuccess;
  MPI_Request request;
  int rc = MPI_Ibcast(&message, sizeof(message), MPI_BYTE, 0, bootstrap, &request);
  const bool done = rc == MPI_SUCCESS && TestUntil(&request, timeout_s, &rc);
  const std::string on_rank = " on rank " + std::to_string(rank);
  if (rc != MPI_SUCCESS) {
    throw CommError(
        "MakeNcclCommunicator: broadcasting the NCCL id failed" + on_rank + ": " + MpiErrorText(rc),
        false);
  }
  if (!done) {
    throw CommError("MakeNcclCommunicator: the NCCL id did not arrive" + on_rank + " within " +
                        FormatSeconds(timeout_s) + " s",
                    true);
  }
  if (message.failed)
    throw CommError("MakeNcclCommunicator: ncclGetUniqueId failed on rank 0", false);
  return message.id;
}

}  // namespace

std::unique_ptr<Communicator> MakeNcclCommunicator(MPI_Comm bootstrap, int cuda_device,
                                                   const CommOptions& options) {
  int rank = 0;
  int size = 1;
  MPI_Comm_rank(bootstrap, &rank);
  MPI_Comm_size(bootstrap, &size);
  const std::string where = " (rank " + std::to_string(rank) + " of " + std::to_string(size) +
                            ", CUDA device " + std::to_string(cuda_device) + ")";
  if (cudaSetDevice(cuda_device) != cudaSuccess) {
    cudaGetLastError();
    throw CommError("MakeNcclCommunicator: cannot use CUDA device" + where, false);
  }
  const ncclUniqueId id = ShareUniqueId(bootstrap, rank, options.timeout_s);
  ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
  config.blocking = 0;  // calls return ncclInProgress instead of blocking; abortable
  ncclComm_t comm = nullptr;
  ncclResult_t state = ncclCommInitRankConfig(&comm, size, id, rank, &config);
  bool settled = true;
  if (state == ncclInProgress) settled = SettleUntil(comm, options.timeout_s, &state);
  if (!settled || state != ncclSuccess) {
    const std::string why = settled ? NcclErrorText(state, comm) : "timed out";
    if (comm != nullptr) ncclCommAbort(comm);
    throw CommError("MakeNcclCommunicator: ncclCommInitRankConfig failed" + where + ": " + why,
                    !settled);
  }
  return std::make_unique<NcclCommunicator>(comm, cuda_device, rank, size, options);
}

}  // namespace qlsweep::dist
