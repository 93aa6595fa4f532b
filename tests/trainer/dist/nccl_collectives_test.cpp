// The NCCL backend under mpiexec on the GPU machine (label gpu; skipped with fewer GPUs than
// ranks): the collective checks of the MPI tests on CUDA memory, a caller's stream, and a timeout
// when a rank stays away.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "tests/trainer/dist/collective_checks.h"
#include "trainer/dist/mpi_session.h"
#include "trainer/dist/nccl_communicator.h"

namespace qlsweep::dist::test {
namespace {

class CudaMemory final : public TestMemory {
 public:
  ~CudaMemory() override {
    for (void* buffer : buffers_) cudaFree(buffer);
  }
  std::byte* Allocate(size_t bytes) override {
    void* buffer = nullptr;
    EXPECT_EQ(cudaMalloc(&buffer, bytes), cudaSuccess);
    buffers_.push_back(buffer);
    return static_cast<std::byte*>(buffer);
  }
  void CopyIn(std::byte* to, const std::byte* from, size_t bytes) override {
    EXPECT_EQ(cudaMemcpy(to, from, bytes, cudaMemcpyHostToDevice), cudaSuccess);
  }
  void CopyOut(std::byte* to, const std::byte* from, size_t bytes) override {
    EXPECT_EQ(cudaMemcpy(to, from, bytes, cudaMemcpyDeviceToHost), cudaSuccess);
  }

 private:
  std::vector<void*> buffers_;
};

class NcclCollectives : public testing::Test {
 protected:
  void SetUp() override {
    MpiSession session;  // reads the running MPI: where this rank sits on the node
    int devices = 0;
    if (cudaGetDeviceCount(&devices) != cudaSuccess) devices = 0;
    if (devices < session.local_size()) {
      GTEST_SKIP() << session.local_size() << " ranks on this node, " << devices << " GPUs";
    }
    device_ = session.local_rank();
    comm_ = MakeNcclCommunicator(MPI_COMM_WORLD, device_, CommOptions{.timeout_s = 30});
  }

  int device_ = 0;
  std::unique_ptr<Communicator> comm_;
  CudaMemory memory_;
};

TEST_F(NcclCollectives, EveryCollectiveOfEveryDType) {
  EXPECT_EQ(comm_->memory(), Memory::kCuda);
  for (DType dtype : kAllDTypes) {
    for (size_t count : kCounts) {
      if (dtype != DType::kUInt8) {
        CheckAllReduceSum(*comm_, memory_, dtype, count);
        CheckReduceScatterSum(*comm_, memory_, dtype, count, /*in_place=*/false);
        CheckReduceScatterSum(*comm_, memory_, dtype, count, /*in_place=*/true);
      }
      CheckAllGather(*comm_, memory_, dtype, count, /*in_place=*/false);
      CheckAllGather(*comm_, memory_, dtype, count, /*in_place=*/true);
      for (int root = 0; root < comm_->Size(); ++root) {
        CheckBroadcast(*comm_, memory_, dtype, count, root);
      }
    }
  }
  comm_->Barrier();
}

TEST_F(NcclCollectives, RunsOnTheCallersStream) {
  cudaStream_t stream = nullptr;
  ASSERT_EQ(cudaStreamCreate(&stream), cudaSuccess);
  comm_->SetStream(stream);
  CheckAllReduceSum(*comm_, memory_, DType::kBFloat16, 70001);
  CheckAllGather(*comm_, memory_, DType::kUInt8, 1001, /*in_place=*/true);
  comm_->SetStream(nullptr);
  CheckReduceScatterSum(*comm_, memory_, DType::kFloat32, 1001, /*in_place=*/true);
  cudaStreamDestroy(stream);
}

TEST_F(NcclCollectives, ARankThatStaysAwayTimesTheOthersOut) {
  auto comm = MakeNcclCommunicator(MPI_COMM_WORLD, device_, CommOptions{.timeout_s = 2});
  std::byte* data = memory_.Allocate(64 * sizeof(float));
  if (comm->Rank() != 1) {
    const auto start = std::chrono::steady_clock::now();
    try {
      comm->AllReduceSum(data, 64, DType::kFloat32);
      ADD_FAILURE() << "no CommError";
    } catch (const CommError& e) {
      EXPECT_TRUE(e.timed_out()) << e.what();
      const std::chrono::duration<double> waited = std::chrono::steady_clock::now() - start;
      EXPECT_GE(waited.count(), 2.0);
      EXPECT_LT(waited.count(), 6.0);  // the timeout, then ncclCommAbort
    }
    EXPECT_THROW(comm->Barrier(), CommError);
  }
  MPI_Barrier(MPI_COMM_WORLD);  // rank 1 stays here until the others gave up
  if (comm->Rank() == 1) {
    comm->Abort();
    EXPECT_THROW(comm->Barrier(), CommError);
  }
}

}  // namespace
}  // namespace qlsweep::dist::test
