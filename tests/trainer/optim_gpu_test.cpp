// GPU tier: the fused 8-bit AdamW kernel gives the torch path's bits; paged states work and count.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "trainer/optim/adamw.h"
#include "trainer/optim/adamw8bit.h"
#include "trainer/optim/adamw8bit_update.h"
#include "trainer/optim/paged_memory.h"

#if QLSWEEP_WITH_CUDA
#include <cuda_runtime_api.h>
#endif

namespace qlsweep::trainer {
namespace {

void RequireGpu() {
  ASSERT_TRUE(torch::cuda::is_available())
      << "the gpu tier runs on the GPU machine (scripts/device)";
}

Adam8bitState EightBitState(int64_t n, const Adam8bitMaps& maps, const torch::Device& device) {
  const auto u8 = torch::TensorOptions().dtype(torch::kUInt8).device(device);
  const auto f32 = torch::TensorOptions().dtype(torch::kFloat32).device(device);
  const int64_t blocks = (n + 255) / 256;
  Adam8bitState s;
  s.m_codes = torch::full({n}, maps.m_zero, u8);
  s.v_codes = torch::full({n}, maps.v_zero, u8);
  s.m_absmax = torch::zeros({blocks}, f32);
  s.v_absmax = torch::zeros({blocks}, f32);
  return s;
}

// The kernel and the torch path on CPU, fed the same gradients, for fp32, bf16 and fp16
// parameters: codes and absmax bit-identical after every step (the kernel uses explicitly
// rounded float ops in the torch path's order, IEEE sqrt and division, the same midpoint
// rounding); parameters within one ulp of their dtype.
TEST(Adam8bitKernel, EqualsTheTorchPathInCodesAndWithinAnUlp) {
  RequireGpu();
  const torch::Device cuda(torch::kCUDA, 0);
  const auto cpu_maps = MakeAdam8bitMaps(torch::kCPU), gpu_maps = MakeAdam8bitMaps(cuda);
  for (auto dtype : {torch::kFloat32, torch::kBFloat16, torch::kFloat16}) {
    torch::manual_seed(21);
    const int64_t n = 1000003;  // 3907 blocks, the last one short
    auto p_cpu = torch::randn({n}).to(dtype);
    auto p_gpu = p_cpu.to(cuda);
    auto s_cpu = EightBitState(n, cpu_maps, torch::kCPU);
    auto s_gpu = EightBitState(n, gpu_maps, cuda);
    const AdamHyper hyper{0.9, 0.999, 1e-8, 0.01};
    for (int64_t t = 1; t <= 20; ++t) {
      // Gradients spanning ~9 orders of magnitude (at most ~1e3: finite in fp16), with exact
      // zeros, so blocks differ in scale.
      auto g = (0.01 * torch::randn({n}) * torch::exp(2 * torch::randn({n})) *
                (torch::rand({n}) > 0.05).to(torch::kFloat32))
                   .to(dtype);
      if (t == 1) g.narrow(0, 256, 256).zero_();  // an all-zero block: absmax 0
      const auto s = MakeAdam8bitScalars(hyper, 1e-3, t);
      Adam8bitUpdateTorch(p_cpu, g, s_cpu, cpu_maps, s);
      auto g_gpu = g.to(cuda);
      Adam8bitUpdateCuda(p_gpu, g_gpu, s_gpu, gpu_maps, s);
      torch::cuda::synchronize();
      const auto where = std::string(c10::toString(dtype)) + " step " + std::to_string(t);
      const int64_t m_diff = s_cpu.m_codes.ne(s_gpu.m_codes.cpu()).sum().item<int64_t>();
      const int64_t v_diff = s_cpu.v_codes.ne(s_gpu.v_codes.cpu()).sum().item<int64_t>();
      ASSERT_EQ(m_diff, 0) << where;
      ASSERT_EQ(v_diff, 0) << where;
      ASSERT_TRUE(torch::equal(s_cpu.m_absmax, s_gpu.m_absmax.cpu())) << where;
      ASSERT_TRUE(torch::equal(s_cpu.v_absmax, s_gpu.v_absmax.cpu())) << where;
      // Parameters: 4 fp32 ulp (differences carry over steps) or one ulp of bf16 / fp16 (2^-7,
      // 2^-10 relative); 1e-7 absolute near 0. Seen on an H200: codes and absmax bit-identical,
      // fp32 params 1 ulp apart.
      const double ulp = dtype == torch::kFloat32    ? 5e-7
                         : dtype == torch::kBFloat16 ? 7.9e-3
                                                     : 9.8e-4;
      auto a = p_cpu.to(torch::kFloat32), b = p_gpu.cpu().to(torch::kFloat32);
      ASSERT_TRUE(torch::allclose(a, b, ulp, 1e-7))
          << where << " max diff " << (a - b).abs().max().item<double>();
    }
  }
}

// The optimizer on CUDA (kernel for 8-bit tensors, torch ops for the small one) against the
// same optimizer on CPU: 8-bit states bit-identical, their params within 8 fp32 ulp; the small
// fp32-state tensor within 1e-6 (torch's CUDA and CPU elementwise kernels).
TEST(AdamW8bitCuda, OptimizerOnCudaEqualsOptimizerOnCpu) {
  RequireGpu();
  const torch::Device cuda(torch::kCUDA, 0);
  torch::manual_seed(22);
  std::vector<torch::Tensor> cpu = {torch::randn({16, 4096}), torch::randn({11008, 16}),
                                    torch::randn({100})};
  std::vector<torch::Tensor> gpu;
  for (auto& p : cpu) {
    p.requires_grad_(true);
    gpu.push_back(p.detach().to(cuda).requires_grad_(true));
  }
  const AdamHyper hyper{0.9, 0.999, 1e-8, 0.0};
  AdamW8bit on_cpu(cpu, hyper, false), on_gpu(gpu, hyper, false);
  for (int step = 0; step < 10; ++step) {
    for (size_t i = 0; i < cpu.size(); ++i) {
      auto g = torch::randn(cpu[i].sizes());
      cpu[i].mutable_grad() = g;
      gpu[i].mutable_grad() = g.to(cuda);
    }
    on_cpu.Step(1e-3);
    on_gpu.Step(1e-3);
  }
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_TRUE(torch::equal(on_cpu.state(i).m_codes, on_gpu.state(i).m_codes.cpu())) << i;
    EXPECT_TRUE(torch::equal(on_cpu.state(i).v_codes, on_gpu.state(i).v_codes.cpu())) << i;
    EXPECT_TRUE(torch::equal(on_cpu.state(i).m_absmax, on_gpu.state(i).m_absmax.cpu())) << i;
    // 1-ulp differences of a step carry into the next: 10 steps, within 8 fp32 ulp (1e-6
    // relative) or 1e-7 absolute.
    EXPECT_TRUE(torch::allclose(cpu[i], gpu[i].cpu(), 1e-6, 1e-7))
        << i << " max diff " << (cpu[i] - gpu[i].cpu()).abs().max().item<double>();
  }
  EXPECT_LE((cpu[2] - gpu[2].cpu()).abs().max().item<double>(), 1e-6);
  EXPECT_EQ(on_cpu.StateBytes(), on_gpu.StateBytes());
}

// Paged 8-bit: codes of parameters >= 1e5 elements are managed memory, counted in
// ManagedBytes, and the results equal the unpaged optimizer's bit for bit.
TEST(PagedAdamW8bit, ManagedCodesGiveTheUnpagedResults) {
  RequireGpu();
  const torch::Device cuda(torch::kCUDA, 0);
  torch::manual_seed(23);
  auto big = torch::randn({11008, 16}, cuda);  // 176128 >= 1e5: paged
  auto mid = torch::randn({16, 4096}, cuda);   // 65536 < 1e5: 8-bit, not paged
  std::vector<torch::Tensor> paged_params = {big.clone().requires_grad_(true),
                                             mid.clone().requires_grad_(true)};
  std::vector<torch::Tensor> plain_params = {big.clone().requires_grad_(true),
                                             mid.clone().requires_grad_(true)};
  const int64_t in_use_before = ManagedBytesInUse();
  {
    const AdamHyper hyper{0.9, 0.999, 1e-8, 0.01};
    AdamW8bit paged(paged_params, hyper, true), plain(plain_params, hyper, false);
    EXPECT_TRUE(IsManaged(paged.state(0).m_codes));
    EXPECT_TRUE(IsManaged(paged.state(0).v_codes));
    EXPECT_FALSE(IsManaged(paged.state(0).m_absmax));
    EXPECT_FALSE(IsManaged(paged.state(1).m_codes));
    EXPECT_EQ(paged.ManagedBytes(), 2 * 176128);
    EXPECT_EQ(ManagedBytesInUse() - in_use_before, 2 * 176128);
    EXPECT_EQ(paged.StateBytes(), plain.StateBytes());
    EXPECT_EQ(plain.ManagedBytes(), 0);
    for (int step = 0; step < 10; ++step) {
      for (size_t i = 0; i < 2; ++i) {
        auto g = torch::randn(paged_params[i].sizes(), cuda);
        paged_params[i].mutable_grad() = g;
        plain_params[i].mutable_grad() = g.clone();
      }
      paged.Step(1e-3);
      plain.Step(1e-3);
    }
    torch::cuda::synchronize();
    EXPECT_TRUE(torch::equal(paged_params[0], plain_params[0]));
    EXPECT_TRUE(torch::equal(paged_params[1], plain_params[1]));
    EXPECT_TRUE(torch::equal(paged.state(0).m_codes, plain.state(0).m_codes));
    std::printf("paged 8-bit: %lld managed bytes of %lld state bytes\n",
                static_cast<long long>(paged.ManagedBytes()),
                static_cast<long long>(paged.StateBytes()));
  }
  EXPECT_EQ(ManagedBytesInUse(), in_use_before);  // freed with the optimizer
}

// Paged fp32 AdamW: both moments of a large parameter are managed; results equal unpaged.
TEST(PagedAdamW, ManagedMomentsGiveTheUnpagedResults) {
  RequireGpu();
  const torch::Device cuda(torch::kCUDA, 0);
  torch::manual_seed(24);
  auto w = torch::randn({512, 512}, cuda);  // 262144 elements
  auto paged_w = w.clone().requires_grad_(true), plain_w = w.clone().requires_grad_(true);
  const AdamHyper hyper{0.9, 0.999, 1e-8, 0.01};
  AdamW paged({paged_w}, hyper, true), plain({plain_w}, hyper, false);
  EXPECT_TRUE(IsManaged(paged.m(0)));
  EXPECT_EQ(paged.ManagedBytes(), 8 * 262144);
  for (int step = 0; step < 10; ++step) {
    auto g = torch::randn({512, 512}, cuda);
    paged_w.mutable_grad() = g;
    plain_w.mutable_grad() = g.clone();
    paged.Step(1e-3);
    plain.Step(1e-3);
  }
  EXPECT_TRUE(torch::equal(paged_w, plain_w));
}

// A request beyond the device's free memory minus the margin fails before cudaMallocManaged is
// called, as an out-of-memory error naming the budget; nothing stays counted.
TEST(ManagedMemory, RefusesMoreThanTheFreeMemory) {
  RequireGpu();
#if !QLSWEEP_WITH_CUDA
  FAIL() << "built without CUDA: no managed memory";
#else
  const torch::Device cuda(torch::kCUDA, 0);
  size_t free_bytes = 0, total_bytes = 0;
  ASSERT_EQ(cudaMemGetInfo(&free_bytes, &total_bytes), cudaSuccess);
  const int64_t before = ManagedBytesInUse();
  const int64_t too_many = static_cast<int64_t>(free_bytes) + (int64_t{1} << 30);
  try {
    AllocateManaged(too_many, torch::kUInt8, cuda, 0);
    FAIL() << "expected an out-of-memory error";
  } catch (const c10::OutOfMemoryError& e) {
    EXPECT_NE(std::string(e.what()).find("minus the 512 MiB margin"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(ManagedBytesInUse(), before);
#endif
}

}  // namespace
}  // namespace qlsweep::trainer
