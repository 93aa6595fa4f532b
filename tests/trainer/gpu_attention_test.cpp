// Kept attention on CUDA (trainer/model/attention.h): the kernel SDPA picks on this GPU can be
// kept, gives SDPA's output bit for bit, and its backward from the kept state gives autograd's
// gradients through SDPA; a decoder model trains the same with attention kept, offloaded or not.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdio>
#include <vector>

#include "trainer/model/attention.h"
#include "trainer/model/llama.h"
#include "trainer/train/chunked_loss.h"

namespace qlsweep::trainer {
namespace {

const torch::Device kCuda(torch::kCUDA, 0);

const char* Name(AttentionKernel k) {
  switch (k) {
    case AttentionKernel::kCudnn:
      return "cudnn";
    case AttentionKernel::kFlash:
      return "flash";
    case AttentionKernel::kCpuFlash:
      return "cpu flash";
  }
  return "?";
}

// Largest |a - b| over the largest |b|.
double RelativeGap(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat32) - b.to(torch::kFloat32)).abs().max().item<double>() /
         b.to(torch::kFloat32).abs().max().item<double>();
}

// The 7B's heads (32 x 128, full multi-head) and Llama-3-8B's grouping (32 query heads on 8).
// Tolerance of the gradients: the fused kernels' backward may accumulate dQ with atomics, so SDPA
// itself differs from run to run in the last bf16 bits; 1e-2 of the largest gradient is far below
// what a wrong or stale tensor gives (an O(1) gap), and the gap is printed.
TEST(GpuKeptAttention, MatchesSdpaOnTheKernelItPicks) {
  const auto opts = torch::TensorOptions().dtype(torch::kBFloat16).device(kCuda);
  for (const int64_t kv_heads : {32, 8}) {
    torch::manual_seed(5);
    auto q = torch::randn({1, 32, 1024, 128}, opts),
         k = torch::randn({1, kv_heads, 1024, 128}, opts),
         v = torch::randn({1, kv_heads, 1024, 128}, opts),
         grad = torch::randn({1, 32, 1024, 128}, opts);
    const auto kernel = KeepableKernel(q, k, v);
    if (kv_heads != 32 && !kernel) {  // grouped heads may go to a kernel that cannot be kept
      std::printf("kept attention, kv heads %lld: not keepable here (full recompute)\n",
                  static_cast<long long>(kv_heads));
      continue;
    }
    ASSERT_TRUE(kernel.has_value()) << "SDPA picks a kernel that cannot be kept, kv " << kv_heads;
    auto qa = q.clone().requires_grad_(true), ka = k.clone().requires_grad_(true),
         va = v.clone().requires_grad_(true);
    auto reference = CausalAttention(qa, ka, va);
    reference.backward(grad);
    KeptAttention kept;
    const auto out = CausalAttentionKeeping(q, k, v, *kernel, kept);
    EXPECT_TRUE(torch::equal(out, reference.detach())) << Name(*kernel) << " kv " << kv_heads;
    auto qb = torch::zeros_like(q).requires_grad_(true),
         kb = torch::zeros_like(k).requires_grad_(true),
         vb = torch::zeros_like(v).requires_grad_(true);
    AttentionFromKept(qb, kb, vb, kept).backward(grad);
    const double gaps[] = {RelativeGap(qb.grad(), qa.grad()), RelativeGap(kb.grad(), ka.grad()),
                           RelativeGap(vb.grad(), va.grad())};
    std::printf("kept attention, %s kernel, kv heads %lld: dq, dk, dv gaps %.2e %.2e %.2e\n",
                Name(*kernel), static_cast<long long>(kv_heads), gaps[0], gaps[1], gaps[2]);
    for (double gap : gaps) EXPECT_LT(gap, 1e-2) << Name(*kernel) << " kv " << kv_heads;
  }
}

// A 4-layer model of the 7B's layer width in bf16 on the GPU: loss and adapter gradients with
// attention kept (on the device, and parked in host memory) against the full recompute. Same
// tolerance reasoning as above, per parameter tensor.
TEST(GpuKeptAttention, CheckpointedModelGivesTheSameGradients) {
  ModelShape shape;
  shape.name = "kept-attention-test";
  shape.vocab = 512;
  shape.hidden = 1024;
  shape.intermediate = 2752;
  shape.layers = 4;
  shape.heads = 8;
  shape.kv_heads = 8;
  shape.max_seq = 2048;
  const auto opts = torch::TensorOptions().dtype(torch::kBFloat16).device(kCuda);
  LoraSpec lora{16, 32, 0.05, {"q", "k", "v", "o", "gate", "up", "down"}};
  auto model = MakeRandomLlama(3, shape, lora, opts);
  {
    torch::NoGradGuard no_grad;
    for (auto& p : model->parameters()) p.normal_(0, 0.02);
  }
  model->train();
  model->set_checkpointing(true);
  auto tokens =
      torch::randint(512, {1, 2048}, torch::TensorOptions().dtype(torch::kInt64).device(kCuda));
  auto run = [&](bool recompute_attention, bool offload) {
    model->set_recompute_attention(recompute_attention);
    model->set_activation_offload(offload, kCuda);
    model->zero_grad();
    torch::manual_seed(17);
    auto loss = ChunkedCrossEntropy(model->forward(tokens), model->OutputWeight(), tokens).loss;
    loss.backward();
    std::vector<torch::Tensor> out{loss.detach()};
    for (auto& p : model->parameters()) out.push_back(p.grad().clone());
    return out;
  };
  const auto full = run(true, false);
  for (const bool offload : {false, true}) {
    const auto kept = run(false, offload);
    ASSERT_EQ(kept.size(), full.size());
    double worst = 0;
    for (size_t i = 0; i < full.size(); ++i) {
      const double gap = RelativeGap(kept[i], full[i]);
      worst = std::max(worst, gap);
      EXPECT_LT(gap, 1e-2) << "tensor " << i << " (0: the loss), offload " << offload;
    }
    std::printf(
        "kept attention in a 4-layer model, offload %d: loss %.6f vs %.6f, worst gap %.2e\n",
        offload, kept[0].item<double>(), full[0].item<double>(), worst);
  }
}

}  // namespace
}  // namespace qlsweep::trainer
