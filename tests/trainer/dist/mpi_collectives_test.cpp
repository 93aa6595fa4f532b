// The MPI backend under mpiexec (ctest runs it with 2, 3 and 4 ranks): every collective and dtype
// against local sums and gathers, in-place forms, count 0, roots other than 0, argument errors,
// and MpiSession's view of the launch.
#include <gtest/gtest.h>

#include <cstdlib>
#include <vector>

#include "tests/trainer/dist/collective_checks.h"
#include "trainer/dist/mpi_communicator.h"
#include "trainer/dist/mpi_session.h"

namespace qlsweep::dist::test {
namespace {

// A hang fails the test after this long instead of stopping it (ctest's limit is longer).
constexpr CommOptions kOptions{.timeout_s = 30};

class MpiCollectives : public testing::Test {
 protected:
  std::unique_ptr<Communicator> comm_ = MakeMpiCommunicator(MPI_COMM_WORLD, kOptions);
  std::unique_ptr<TestMemory> memory_ = MakeHostMemory();
};

TEST_F(MpiCollectives, RankAndSizeAreThoseOfTheWorld) {
  int rank = -1;
  int size = -1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  EXPECT_EQ(comm_->Rank(), rank);
  EXPECT_EQ(comm_->Size(), size);
  EXPECT_EQ(comm_->memory(), Memory::kHost);
}

TEST_F(MpiCollectives, AllReduceSumOfEveryDType) {
  for (DType dtype : kSummableDTypes) {
    for (size_t count : kCounts) CheckAllReduceSum(*comm_, *memory_, dtype, count);
  }
}

TEST_F(MpiCollectives, ReduceScatterSumOfEveryDType) {
  for (DType dtype : kSummableDTypes) {
    for (size_t count : kCounts) {
      CheckReduceScatterSum(*comm_, *memory_, dtype, count, /*in_place=*/false);
      CheckReduceScatterSum(*comm_, *memory_, dtype, count, /*in_place=*/true);
    }
  }
}

TEST_F(MpiCollectives, AllGatherOfEveryDType) {
  for (DType dtype : kAllDTypes) {
    for (size_t count : kCounts) {
      CheckAllGather(*comm_, *memory_, dtype, count, /*in_place=*/false);
      CheckAllGather(*comm_, *memory_, dtype, count, /*in_place=*/true);
    }
  }
}

TEST_F(MpiCollectives, BroadcastFromEveryRoot) {
  for (DType dtype : kAllDTypes) {
    for (int root = 0; root < comm_->Size(); ++root) {
      for (size_t count : kCounts) CheckBroadcast(*comm_, *memory_, dtype, count, root);
    }
  }
}

TEST_F(MpiCollectives, ArgumentErrorsThrowOnEveryRankBeforeAnythingIsSent) {
  std::vector<uint8_t> bytes(4 * comm_->Size());
  EXPECT_THROW(comm_->AllReduceSum(bytes.data(), 4, DType::kUInt8), std::invalid_argument);
  EXPECT_THROW(comm_->ReduceScatterSum(bytes.data(), bytes.data() + 100, 1, DType::kUInt8),
               std::invalid_argument);
  EXPECT_THROW(comm_->Broadcast(bytes.data(), 4, DType::kUInt8, comm_->Size()),
               std::invalid_argument);
  EXPECT_THROW(comm_->Broadcast(bytes.data(), 4, DType::kUInt8, -1), std::invalid_argument);
  // Overlapping other than in place: recv one element past the rank's chunk.
  std::vector<float> floats(4 * comm_->Size() + 1);
  EXPECT_THROW(comm_->ReduceScatterSum(floats.data(), floats.data() + 4 * comm_->Rank() + 1, 4,
                                       DType::kFloat32),
               std::invalid_argument);
  EXPECT_THROW(
      comm_->AllGather(floats.data() + 4 * comm_->Rank() + 1, floats.data(), 4, DType::kFloat32),
      std::invalid_argument);
  int stream = 0;
  EXPECT_THROW(comm_->SetStream(&stream), std::invalid_argument);
  // None of them sent anything: the communicator still works.
  CheckAllReduceSum(*comm_, *memory_, DType::kInt32, 5);
}

TEST_F(MpiCollectives, BarrierWaitsForTheSlowestRank) {
  // Rank 0 enters 0.3 s late (the communicator's creation lined the ranks up); the others must
  // wait for it.
  const double pause_s = 0.3;
  if (comm_->Rank() == 0) {
    const double until = MPI_Wtime() + pause_s;
    while (MPI_Wtime() < until) {
    }
  }
  const double before = MPI_Wtime();
  comm_->Barrier();
  const double waited = MPI_Wtime() - before;
  if (comm_->Rank() != 0) {
    EXPECT_GE(waited, pause_s * 0.8);
  }
}

TEST_F(MpiCollectives, CommunicatorsDoNotMixWithEachOtherOrTheWorld) {
  // Two communicators over the world, used in a crossed order of roots: each broadcast must get
  // its own root's data.
  auto other = MakeMpiCommunicator(MPI_COMM_WORLD, kOptions);
  const int last = comm_->Size() - 1;
  CheckBroadcast(*comm_, *memory_, DType::kInt64, 1001, last);
  CheckBroadcast(*other, *memory_, DType::kInt64, 1001, 0);
  CheckAllReduceSum(*other, *memory_, DType::kBFloat16, 70001);
}

TEST(MpiSessionUnderMpiexec, SeesTheLaunchAndTheNode) {
  MpiSession session;  // MPI is up already: this one only reads it
  EXPECT_FALSE(session.initialized_here());
  EXPECT_TRUE(MpiSession::LaunchedByMpi());
  int rank = -1;
  int size = -1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  EXPECT_EQ(session.rank(), rank);
  EXPECT_EQ(session.size(), size);
  // One node: every rank is local, and mpiexec fills ranks in order.
  EXPECT_EQ(session.local_size(), size);
  EXPECT_EQ(session.local_rank(), rank);
  EXPECT_TRUE(session.node_has_rank0());
  EXPECT_EQ(MpiSession::LocalRankFromEnvironment(), rank);
}

}  // namespace
}  // namespace qlsweep::dist::test
