// GPU tier: the CUDA 4-bit dequantization kernel, the QLoRA linear on CUDA, and the memory cap.
#include <cuda_runtime_api.h>

#include <c10/cuda/CUDACachingAllocator.h>
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <algorithm>
#include <cstdio>

#include "trainer/memory/memory_cap.h"
#include "trainer/memory/process_gpu_memory.h"
#include "trainer/quant/four_bit.h"
#include "trainer/quant/four_bit_cuda.h"
#include "trainer/quant/linear_4bit.h"

namespace qlsweep::trainer {
namespace {

TEST(GpuFourBit, KernelEqualsTheReferencePathExactly) {
  ASSERT_TRUE(torch::cuda::is_available());
  torch::manual_seed(0);
  auto w = torch::randn({1000, 333}, torch::kCUDA);  // ragged: 333000 = 5203 blocks + 8
  for (bool dq : {false, true}) {
    for (auto type : {FourBitType::kNf4, FourBitType::kFp4}) {
      auto q = Quantize4bit(w, type, 64, dq);
      for (auto dtype : {torch::kFloat32, torch::kBFloat16, torch::kFloat16}) {
        // Both compute code * absmax in fp32 and round once: bit-identical.
        EXPECT_TRUE(torch::equal(Dequantize4bit(q, dtype), Dequantize4bitReference(q, dtype)))
            << "double_quant " << dq << " dtype " << dtype;
      }
    }
  }
}

// Sizes divisible by 8 take the eight-per-thread kernel: the same bits as the reference and as
// the one-byte-per-thread kernel, for both formats, with and without double quant, every dtype.
TEST(GpuFourBit, VectorizedKernelEqualsTheReferenceAndTheScalarKernel) {
  ASSERT_TRUE(torch::cuda::is_available());
  torch::manual_seed(3);
  auto w = torch::randn({512, 336}, torch::kCUDA) * 3;  // 172032 = 8 x 21504
  for (bool dq : {false, true}) {
    for (auto type : {FourBitType::kNf4, FourBitType::kFp4}) {
      auto q = Quantize4bit(w, type, 64, dq);
      for (auto dtype : {torch::kFloat32, torch::kBFloat16, torch::kFloat16}) {
        const auto vec = Dequantize4bitCuda(q, dtype, true);
        EXPECT_TRUE(torch::equal(vec, Dequantize4bitReference(q, dtype)))
            << "double_quant " << dq << " dtype " << dtype;
        EXPECT_TRUE(torch::equal(vec, Dequantize4bitCuda(q, dtype, false)));
      }
    }
  }
}

TEST(GpuFourBit, QuantizingOnTheGpuEqualsQuantizingOnTheCpu) {
  ASSERT_TRUE(torch::cuda::is_available());
  auto w = torch::randn({256, 512});
  auto cpu = Quantize4bit(w, FourBitType::kNf4, 64, true);
  auto gpu = Quantize4bit(w.cuda(), FourBitType::kNf4, 64, true);
  EXPECT_TRUE(torch::equal(cpu.packed, gpu.packed.cpu()));
  EXPECT_TRUE(torch::equal(cpu.absmax_codes, gpu.absmax_codes.cpu()));
}

TEST(GpuLinear4bit, Bf16ForwardAndBackwardMatchTheDenseLinear) {
  ASSERT_TRUE(torch::cuda::is_available());
  torch::manual_seed(1);
  auto opts = torch::TensorOptions().device(torch::kCUDA).dtype(torch::kBFloat16);
  auto q = Quantize4bit(torch::randn({1024, 512}, torch::kCUDA), FourBitType::kNf4, 64, true);
  auto dense = Dequantize4bit(q, torch::kBFloat16);
  auto x = torch::randn({4, 128, 512}, opts).requires_grad_(true);
  auto x_ref = x.detach().clone().requires_grad_(true);
  auto y = Linear4bit(x, q);
  auto y_ref = torch::nn::functional::linear(x_ref, dense);
  EXPECT_TRUE(torch::equal(y, y_ref));  // the same bf16 GEMM on the same bf16 weight
  auto g = torch::randn_like(y);
  y.backward(g);
  y_ref.backward(g);
  EXPECT_TRUE(torch::equal(x.grad(), x_ref.grad()));
}

TEST(GpuMemoryCap, AllocatingPastTheEmulatedCardIsAnOutOfMemoryError) {
  ASSERT_TRUE(torch::cuda::is_available());
  const auto budget = ApplyGpuProfile("rtx4050-laptop-6gb", torch::Device(torch::kCUDA, 0));
  EXPECT_EQ(budget.budget_bytes, 6141ll << 20);
  EXPECT_GT(budget.context_bytes, 100ll << 20);  // the CUDA context is not free
  EXPECT_EQ(budget.allocator_cap_bytes, budget.budget_bytes - budget.context_bytes);
  // 2 GiB fits in 6 GiB...
  auto fits = torch::empty({int64_t{2} << 30},
                           torch::TensorOptions().dtype(torch::kUInt8).device(torch::kCUDA));
  // ...5 GiB more does not, although the real device has room for it.
  EXPECT_THROW(torch::empty({int64_t{5} << 30},
                            torch::TensorOptions().dtype(torch::kUInt8).device(torch::kCUDA)),
               c10::OutOfMemoryError);
}

// Trials run with expandable segments (UseExpandableSegments): the emulated card's cap still holds,
// for one large tensor and for many small ones that grow the mapped range page by page.
TEST(GpuMemoryCap, ExpandableSegmentsKeepTheCap) {
  ASSERT_TRUE(torch::cuda::is_available());
  UseExpandableSegments();
  const auto budget = ApplyGpuProfile("rtx4050-laptop-6gb", torch::Device(torch::kCUDA, 0));
  const auto bytes = torch::TensorOptions().dtype(torch::kUInt8).device(torch::kCUDA);
  auto fits = torch::empty({int64_t{2} << 30}, bytes);
  EXPECT_THROW(torch::empty({int64_t{5} << 30}, bytes), c10::OutOfMemoryError);
  std::vector<torch::Tensor> pieces;
  bool stopped = false;
  for (int i = 0; i < 400 && !stopped; ++i) {  // 400 x 32 MiB = 12.5 GiB, far past the cap
    try {
      pieces.push_back(torch::empty({int64_t{32} << 20}, bytes));
    } catch (const c10::OutOfMemoryError&) {
      stopped = true;
    }
  }
  EXPECT_TRUE(stopped);
  const int64_t held =
      (int64_t{2} << 30) + static_cast<int64_t>(pieces.size()) * (int64_t{32} << 20);
  EXPECT_LE(held, budget.allocator_cap_bytes);
}

// Memory taken outside the caching allocator after the cap was set (the CUDA context grows as
// kernels load): once the device holds more than the card, the next check is an out-of-memory
// error, and below that it only lowers the cap.
TEST(GpuMemoryCap, GrowthOutsideTheAllocatorPastTheCardIsAnOutOfMemoryError) {
  ASSERT_TRUE(torch::cuda::is_available());
  const torch::Device device(torch::kCUDA, 0);
  auto budget = ApplyGpuProfile("rtx4050-laptop-6gb", device);
  const auto bytes = torch::TensorOptions().dtype(torch::kUInt8).device(device);
  auto held = torch::empty({budget.allocator_cap_bytes - (int64_t{300} << 20)}, bytes);
  void* outside = nullptr;  // 200 MiB more context: the device still fits the card
  ASSERT_EQ(cudaMalloc(&outside, size_t{200} << 20), cudaSuccess);
  const int64_t cap_before = budget.allocator_cap_bytes;
  EXPECT_NO_THROW(TightenGpuProfileCap(budget, device));
  EXPECT_LT(budget.allocator_cap_bytes, cap_before);
  void* more = nullptr;  // 200 MiB more again: now past the card
  ASSERT_EQ(cudaMalloc(&more, size_t{200} << 20), cudaSuccess);
  EXPECT_THROW(TightenGpuProfileCap(budget, device), c10::OutOfMemoryError);
  cudaFree(more);
  cudaFree(outside);
}

// NVML's process list (trainer/memory/process_gpu_memory.h), through which the emulated card's
// cap and the device peak leave out other processes on a shared GPU: NVML lists this pid; its
// figure holds the allocator's reservation, stays within what the whole device uses (alone on the
// GPU: within 256 MiB of it, the driver's own share) and grows by a 512 MiB allocation (within
// 64 MiB), so the record's layout is read right (passed on an H200, 2026-11-30). The trial's
// figure is the device's use less the other processes' (none here).
TEST(GpuMemoryCap, TheProcessesOwnDeviceUseIsReadThroughNvml) {
  torch::zeros({1}, torch::TensorOptions().device(torch::kCUDA, 0));
  constexpr int64_t kMiB = int64_t{1} << 20;
  const auto reserved = [] {
    return c10::cuda::CUDACachingAllocator::getDeviceStats(0)
        .reserved_bytes[static_cast<size_t>(c10::CachingAllocator::StatType::AGGREGATE)]
        .current;
  };
  const auto device_used = [] {
    size_t free_bytes = 0, total_bytes = 0;
    EXPECT_EQ(cudaMemGetInfo(&free_bytes, &total_bytes), cudaSuccess);
    return static_cast<int64_t>(total_bytes - free_bytes);
  };
  const auto before = ProcessGpuBytes(0);
  ASSERT_TRUE(before.has_value()) << "NVML does not list this process (a PID namespace?)";
  EXPECT_GE(*before, reserved());
  EXPECT_LE(*before, device_used());
  EXPECT_NEAR(static_cast<double>(*before), static_cast<double>(device_used()), 256.0 * kMiB);
  auto block = torch::empty({512 * kMiB},
                            torch::TensorOptions().dtype(torch::kUInt8).device(torch::kCUDA, 0));
  const auto after = ProcessGpuBytes(0);
  ASSERT_TRUE(after.has_value());
  EXPECT_NEAR(static_cast<double>(*after - *before), 512.0 * kMiB, 64.0 * kMiB);
  const auto others = OtherProcessesGpuBytes(0);
  ASSERT_TRUE(others.has_value());
  const int64_t used = device_used();
  EXPECT_EQ(TrialDeviceBytes(0, used, reserved()), std::max(used - *others, reserved()));
  std::printf("NVML: this process %lld MiB, the device %lld MiB, the allocator %lld MiB\n",
              static_cast<long long>(*after / kMiB), static_cast<long long>(device_used() / kMiB),
              static_cast<long long>(reserved() / kMiB));
}

}  // namespace
}  // namespace qlsweep::trainer
