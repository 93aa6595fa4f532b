// Checks of every collective against the sums and gathers computed locally, shared by the MPI
// tests (host memory) and the NCCL tests (CUDA memory). Every rank runs the same checks in the
// same order; failures are gtest EXPECTs, so no rank skips a collective its peers enter.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "trainer/dist/communicator.h"

namespace qlsweep::dist::test {

inline constexpr DType kAllDTypes[] = {DType::kFloat32, DType::kFloat64, DType::kBFloat16,
                                       DType::kFloat16, DType::kUInt8,   DType::kInt32,
                                       DType::kInt64};
inline constexpr DType kSummableDTypes[] = {DType::kFloat32, DType::kFloat64, DType::kBFloat16,
                                            DType::kFloat16, DType::kInt32,   DType::kInt64};
// 0, 1, odd, not divisible by 2, 3 or 4, and large enough for MPI's and NCCL's pipelined
// algorithms (several chunks per rank).
inline constexpr size_t kCounts[] = {0, 1, 7, 1001, 70001};

// Where the checks put the communicator's buffers: host or CUDA memory.
class TestMemory {
 public:
  virtual ~TestMemory() = default;
  // `bytes` of the communicator's memory, owned by this object until it goes.
  virtual std::byte* Allocate(size_t bytes) = 0;
  virtual void CopyIn(std::byte* to, const std::byte* from, size_t bytes) = 0;   // host -> it
  virtual void CopyOut(std::byte* to, const std::byte* from, size_t bytes) = 0;  // it -> host
};

std::unique_ptr<TestMemory> MakeHostMemory();

// The value `rank` contributes at element i, exactly representable in dtype. Integers, float32 and
// float64 are chosen so that sums over up to 4 ranks are exact in every order (float64 values near
// 2^40, int64 up to 2^50 in magnitude); bfloat16 and half are pseudo-random in [-4, 4).
double ValueAt(DType dtype, int rank, size_t i);

void CheckAllReduceSum(Communicator& comm, TestMemory& memory, DType dtype, size_t count);
// in_place: recv is the rank's chunk of send.
void CheckReduceScatterSum(Communicator& comm, TestMemory& memory, DType dtype, size_t count,
                           bool in_place);
// in_place: send is the rank's chunk of recv.
void CheckAllGather(Communicator& comm, TestMemory& memory, DType dtype, size_t count,
                    bool in_place);
void CheckBroadcast(Communicator& comm, TestMemory& memory, DType dtype, size_t count, int root);

}  // namespace qlsweep::dist::test
