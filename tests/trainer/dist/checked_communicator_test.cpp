// CheckedCommunicator on a fake backend: argument errors never reach the backend, in-place forms
// do, and a timeout or Abort leaves the communicator unusable with messages naming op and rank.
#include "trainer/dist/checked_communicator.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace qlsweep::dist {
namespace {

// Rank 1 of 3; records the steps it is asked to run, and times out when told to.
class FakeCommunicator final : public CheckedCommunicator {
 public:
  FakeCommunicator() : CheckedCommunicator("Fake", 1, 3, CommOptions{.timeout_s = 2}) {}
  Memory memory() const override { return Memory::kHost; }
  void SetStream(void*) override {}

  std::vector<std::string> steps;
  bool time_out = false;

 protected:
  void DoAllReduceSum(void*, size_t, DType) override { Step("AllReduceSum"); }
  void DoReduceScatterSum(const void*, void*, size_t, DType) override { Step("ReduceScatterSum"); }
  void DoAllGather(const void*, void*, size_t, DType) override { Step("AllGather"); }
  void DoBroadcast(void*, size_t, DType, int) override { Step("Broadcast"); }
  void DoBarrier() override { Step("Barrier"); }
  void DoAbort() override { steps.push_back("Abort"); }

 private:
  void Step(const char* name) {
    steps.push_back(name);
    if (time_out) throw TimedOut();
  }
};

TEST(DType, SizesAndNames) {
  EXPECT_EQ(DTypeSize(DType::kFloat32), 4u);
  EXPECT_EQ(DTypeSize(DType::kFloat64), 8u);
  EXPECT_EQ(DTypeSize(DType::kBFloat16), 2u);
  EXPECT_EQ(DTypeSize(DType::kFloat16), 2u);
  EXPECT_EQ(DTypeSize(DType::kUInt8), 1u);
  EXPECT_EQ(DTypeSize(DType::kInt32), 4u);
  EXPECT_EQ(DTypeSize(DType::kInt64), 8u);
  EXPECT_STREQ(DTypeName(DType::kBFloat16), "bfloat16");
  EXPECT_STREQ(DTypeName(DType::kInt64), "int64");
}

TEST(CheckedCommunicator, ArgumentErrorsNeverReachTheBackend) {
  FakeCommunicator comm;
  std::vector<float> buffer(64);
  float* b = buffer.data();
  EXPECT_THROW(comm.AllReduceSum(b, 4, DType::kUInt8), std::invalid_argument);
  EXPECT_THROW(comm.ReduceScatterSum(b, b + 32, 4, DType::kUInt8), std::invalid_argument);
  EXPECT_THROW(comm.Broadcast(b, 4, DType::kFloat32, 3), std::invalid_argument);
  EXPECT_THROW(comm.Broadcast(b, 4, DType::kFloat32, -1), std::invalid_argument);
  // send[12] at b, recv[4] overlapping it elsewhere than rank 1's chunk (b + 4).
  EXPECT_THROW(comm.ReduceScatterSum(b, b + 5, 4, DType::kFloat32), std::invalid_argument);
  EXPECT_THROW(comm.ReduceScatterSum(b + 3, b, 4, DType::kFloat32), std::invalid_argument);
  EXPECT_THROW(comm.AllGather(b + 3, b, 4, DType::kFloat32), std::invalid_argument);
  EXPECT_THROW(comm.AllGather(b + 8, b + 1, 4, DType::kFloat32), std::invalid_argument);
  EXPECT_TRUE(comm.steps.empty());
  comm.Barrier();  // still usable
  EXPECT_EQ(comm.steps, std::vector<std::string>{"Barrier"});
}

TEST(CheckedCommunicator, InPlaceAndDisjointBuffersReachTheBackend) {
  FakeCommunicator comm;
  std::vector<float> buffer(64);
  float* b = buffer.data();
  comm.ReduceScatterSum(b, b + 4, 4, DType::kFloat32);   // in place: rank 1's chunk
  comm.ReduceScatterSum(b, b + 12, 4, DType::kFloat32);  // just after send[12]
  comm.ReduceScatterSum(b + 4, b, 4, DType::kFloat32);   // just before send
  comm.AllGather(b + 4, b, 4, DType::kFloat32);          // in place
  comm.AllGather(b + 12, b, 4, DType::kFloat32);         // disjoint
  comm.AllGather(b, b, 0, DType::kFloat32);              // count 0 touches nothing
  EXPECT_EQ(comm.steps.size(), 6u);
}

TEST(CheckedCommunicator, ATimeoutNamesTheCallAndLeavesTheCommunicatorUnusable) {
  FakeCommunicator comm;
  std::vector<uint16_t> data(10);
  comm.time_out = true;
  try {
    comm.AllReduceSum(data.data(), 10, DType::kBFloat16);
    FAIL() << "no CommError";
  } catch (const CommError& e) {
    EXPECT_TRUE(e.timed_out());
    EXPECT_EQ(std::string(e.what()),
              "Fake AllReduceSum of 10 bfloat16 on rank 1 of 3 did not finish within 2 s: a peer "
              "rank hung, died or did not call it");
  }
  comm.time_out = false;
  try {
    comm.Broadcast(data.data(), 10, DType::kBFloat16, 0);
    FAIL() << "no CommError";
  } catch (const CommError& e) {
    EXPECT_FALSE(e.timed_out());
    EXPECT_NE(std::string(e.what()).find("Fake Broadcast of 10 bfloat16 from root 0 on rank 1 of 3"
                                         ": the communicator is unusable after: Fake AllReduceSum"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(comm.steps, std::vector<std::string>{"AllReduceSum"});
}

TEST(CheckedCommunicator, AbortReleasesOnceAndLeavesTheCommunicatorUnusable) {
  FakeCommunicator comm;
  comm.Abort();
  comm.Abort();
  EXPECT_THROW(comm.Barrier(), CommError);
  EXPECT_EQ(comm.steps, std::vector<std::string>{"Abort"});
}

}  // namespace
}  // namespace qlsweep::dist
