// Activation offload on CUDA (trainer/model/activation_offload.h): the host is held to
// kCopiesInFlight layers ahead of the copies, so the device holds a few layer inputs at a time
// however far ahead the host has queued; what comes back is what was parked.
#include <c10/cuda/CUDACachingAllocator.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <vector>

#include "trainer/model/activation_offload.h"

namespace qlsweep::trainer {
namespace {

namespace alloc = c10::cuda::CUDACachingAllocator;

const torch::Device kCuda(torch::kCUDA, 0);
constexpr int64_t kLayers = 16;
constexpr int64_t kInputBytes = int64_t{4096} * 4096 * 2;  // one [4096, 4096] bf16 input

// Queues about 100 ms of device work, so that the host runs ahead of what the device has done.
void KeepTheDeviceBusy() {
  auto a =
      torch::full({8192, 8192}, 1e-4, torch::TensorOptions().dtype(torch::kBFloat16).device(kCuda));
  for (int i = 0; i < 80; ++i) a = torch::matmul(a, a);
}

int64_t AllocatedPeakSinceReset() { return alloc::getDeviceStats(0).allocated_bytes[0].peak; }

int64_t AllocatedNow() { return alloc::getDeviceStats(0).allocated_bytes[0].current; }

// Parked inputs the host has dropped stay allocated until their copies have read them. Without the
// hold, all 16 would be (512 MiB); with it, the one being parked, kCopiesInFlight in flight and one
// whose copy finished after the allocator last looked.
TEST(GpuActivationOffload, ParksHoldAFewInputsOnTheDeviceHoweverFarTheHostIsAhead) {
  ActivationOffload offload(kCuda);
  KeepTheDeviceBusy();
  torch::cuda::synchronize();
  KeepTheDeviceBusy();
  const int64_t base = AllocatedNow();
  alloc::resetPeakStats(0);
  for (int64_t l = 0; l < kLayers; ++l) {
    auto x = torch::full({4096, 4096}, static_cast<double>(l),
                         torch::TensorOptions().dtype(torch::kBFloat16).device(kCuda));
    EXPECT_EQ(offload.Park(x), l);
  }
  const int64_t held = AllocatedPeakSinceReset() - base;
  std::printf("parks: peak %.0f MiB over %lld inputs of 32 MiB\n", held / 1048576.0,
              static_cast<long long>(kLayers));
  EXPECT_LE(held, (ActivationOffload::kCopiesInFlight + 2) * kInputBytes);

  // The fetches, in backward order, behind more queued work: each dropped at once, as a layer's
  // backward drops its input, after its least and largest elements are taken on the device (a
  // host read would wait for the device and so never let the host run ahead).
  KeepTheDeviceBusy();
  const int64_t before_fetches = AllocatedNow();
  alloc::resetPeakStats(0);
  std::vector<torch::Tensor> extremes;
  for (int64_t l = kLayers - 1; l >= 0; --l) {
    const auto y = offload.Fetch(l);
    ASSERT_EQ(y.sizes(), (torch::IntArrayRef{4096, 4096}));
    extremes.push_back(torch::stack({y.min(), y.max()}));
  }
  const int64_t fetched = AllocatedPeakSinceReset() - before_fetches;
  std::printf("fetches: peak %.0f MiB\n", fetched / 1048576.0);
  EXPECT_LE(fetched, (ActivationOffload::kCopiesInFlight + 3) * kInputBytes);
  for (int64_t l = kLayers - 1, i = 0; l >= 0; --l, ++i) {  // bitwise: bf16 holds 0..15 exactly
    const auto e = extremes[static_cast<size_t>(i)].to(torch::kFloat32).cpu();
    EXPECT_EQ(e[0].item<float>(), static_cast<float>(l)) << "slot " << l;
    EXPECT_EQ(e[1].item<float>(), static_cast<float>(l)) << "slot " << l;
  }
}

}  // namespace
}  // namespace qlsweep::trainer
