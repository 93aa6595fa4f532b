// Numeric checks of the trainer's building blocks against plain libtorch references (CPU, fp32).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "trainer/model/activation_offload.h"
#include "trainer/model/attention.h"
#include "trainer/model/llama.h"
#include "trainer/peft/lora_projection.h"
#include "trainer/train/chunked_loss.h"
#include "trainer/train/schedule.h"

namespace qlsweep::trainer {
namespace {

// A random model whose adapters are random too (B != 0, so that A gets gradients), in training.
LlamaModel RandomTrainingLlama(uint64_t seed, const ModelShape& shape, const LoraSpec& lora) {
  auto model = MakeRandomLlama(seed, shape, lora, torch::TensorOptions());
  {
    torch::NoGradGuard no_grad;
    for (auto& p : model->parameters()) p.normal_(0, 0.1);
  }
  model->train();
  return model;
}

ModelShape SmallShape() {
  ModelShape s;
  s.name = "test";
  s.vocab = 37;
  s.hidden = 16;
  s.intermediate = 24;
  s.layers = 2;
  s.heads = 4;
  s.kv_heads = 2;
  s.max_seq = 64;
  return s;
}

TEST(ChunkedCrossEntropy, MatchesFullCrossEntropyInValueAndGradient) {
  torch::manual_seed(0);
  auto hidden = torch::randn({2, 7, 8}, torch::requires_grad());
  auto weight = torch::randn({11, 8});
  auto labels = torch::randint(11, {2, 7}, torch::kInt64);
  labels.index_put_({0, 3}, -100);
  labels.index_put_({1, 6}, -100);

  auto chunked = ChunkedCrossEntropy(hidden, weight, labels, /*chunk_tokens=*/3);
  chunked.loss.backward();
  auto grad_chunked = hidden.grad().clone();
  hidden.grad().zero_();

  auto logits = torch::matmul(hidden, weight.t()).reshape({-1, 11});
  auto reference = torch::nn::functional::cross_entropy(
      logits, labels.reshape({-1}),
      torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-100));
  reference.backward();
  // fp32 sums over 12 tokens in a different order: 1e-5 relative covers the rounding.
  EXPECT_NEAR(chunked.loss.item<double>(), reference.item<double>(), 1e-5);
  EXPECT_TRUE(torch::allclose(grad_chunked, hidden.grad(), 1e-5, 1e-6));
  EXPECT_EQ(chunked.counted, 12);
  auto argmax_hits =
      (logits.argmax(-1).eq(labels.reshape({-1})) & labels.reshape({-1}).ne(-100)).sum();
  EXPECT_EQ(chunked.correct, argmax_hits.item<int64_t>());
}

// Full fine-tuning trains the output weight: its gradient, summed over chunks in float32, is the
// full cross-entropy's (the tied case adds the embedding's on top, outside the loss). A frozen
// weight gets none.
TEST(ChunkedCrossEntropy, TrainableWeightGetsTheFullCrossEntropysGradient) {
  torch::manual_seed(2);
  auto hidden = torch::randn({2, 7, 8}, torch::requires_grad());
  auto weight = torch::randn({11, 8}, torch::requires_grad());
  auto labels = torch::randint(11, {2, 7}, torch::kInt64);
  labels.index_put_({1, 2}, -100);
  ChunkedCrossEntropy(hidden, weight, labels, /*chunk_tokens=*/4).loss.backward();
  const auto grad_chunked = weight.grad().clone();
  weight.mutable_grad().reset();
  torch::nn::functional::cross_entropy(
      torch::matmul(hidden, weight.t()).reshape({-1, 11}), labels.reshape({-1}),
      torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-100))
      .backward();
  // fp32 sums over 4 chunks vs one GEMM: 1e-5 relative covers the rounding.
  EXPECT_TRUE(torch::allclose(grad_chunked, weight.grad(), 1e-5, 1e-6));
  EXPECT_GT(grad_chunked.abs().max().item<double>(), 1e-3);

  auto frozen = torch::randn({11, 8});
  ChunkedCrossEntropy(hidden, frozen, labels, 4).loss.backward();
  EXPECT_FALSE(frozen.grad().defined());
}

TEST(LoraLinear, FreshAdapterLeavesBaseOutputUnchangedExactly) {
  torch::manual_seed(1);
  LoraLinear lora(16, 8, /*rank=*/4, /*alpha=*/8, /*dropout=*/0.0, torch::TensorOptions());
  auto x = torch::randn({3, 5, 16});
  auto base = torch::nn::functional::linear(x, lora->weight());
  EXPECT_TRUE(torch::equal(lora->forward(x), base));  // B = 0: bit-identical
  EXPECT_EQ(lora->parameters().size(), 2u);           // trainable set: exactly A and B
}

TEST(LoraLinear, UpdateIsScaledLowRankProduct) {
  torch::manual_seed(2);
  LoraLinear lora(16, 8, 4, 8, 0.0, torch::TensorOptions());
  {
    torch::NoGradGuard no_grad;
    lora->lora_b().normal_();
  }
  auto x = torch::randn({5, 16});
  auto expected = torch::matmul(x, lora->weight().t()) +
                  2.0 * torch::matmul(torch::matmul(x, lora->lora_a().t()), lora->lora_b().t());
  EXPECT_TRUE(torch::allclose(lora->forward(x), expected, 1e-5, 1e-6));  // fp32 rounding
}

// Gradients of every adapter with per-layer checkpointing equal those without, dropout included.
TEST(Checkpointing, GradientsEqualThoseWithoutCheckpointing) {
  LoraSpec lora{4, 8, 0.1, {"q", "k", "v", "o", "gate", "up", "down"}};
  auto model = RandomTrainingLlama(7, SmallShape(), lora);
  auto tokens = torch::randint(37, {2, 9}, torch::kInt64);
  auto labels = torch::randint(37, {2, 9}, torch::kInt64);
  auto grads = [&](bool checkpoint) {
    model->set_checkpointing(checkpoint);
    model->zero_grad();
    torch::manual_seed(123);  // the same dropout masks in both runs
    auto hidden = model->forward(tokens);
    ChunkedCrossEntropy(hidden, model->OutputWeight(), labels).loss.backward();
    std::vector<torch::Tensor> out;
    for (auto& p : model->parameters()) out.push_back(p.grad().clone());
    return out;
  };
  auto plain = grads(false);
  auto recomputed = grads(true);
  ASSERT_EQ(plain.size(), recomputed.size());
  for (size_t i = 0; i < plain.size(); ++i) {
    EXPECT_GT(plain[i].abs().sum().item<double>(), 0.0) << "parameter " << i;
    // Same ops on the same inputs in fp32: equal up to 1e-6 relative.
    EXPECT_TRUE(torch::allclose(plain[i], recomputed[i], 1e-6, 1e-7)) << "parameter " << i;
  }
}

// Offloaded saved inputs come back bit for bit: the gradients equal plain checkpointing's
// exactly, over two forward/backward rounds (the slots are reset by each forward), and each slot
// is fetched once. On the CPU the host copy is a clone; tests/trainer/gpu_trial_test.cpp runs the
// CUDA side-stream path.
TEST(Checkpointing, OffloadedInputsGiveTheSameGradients) {
  LoraSpec lora{4, 8, 0.1, {"q", "v", "down"}};
  auto model = RandomTrainingLlama(11, SmallShape(), lora);
  model->set_checkpointing(true);
  auto tokens = torch::randint(37, {2, 9}, torch::kInt64);
  auto labels = torch::randint(37, {2, 9}, torch::kInt64);
  auto grads = [&](bool offload) {
    model->set_activation_offload(offload, torch::kCPU);
    model->zero_grad();
    torch::manual_seed(321);
    for (int round = 0; round < 2; ++round) {
      auto hidden = model->forward(tokens);
      ChunkedCrossEntropy(hidden, model->OutputWeight(), labels).loss.backward();
    }
    std::vector<torch::Tensor> out;
    for (auto& p : model->parameters()) out.push_back(p.grad().clone());
    return out;
  };
  auto kept = grads(false);
  auto parked = grads(true);
  ASSERT_EQ(kept.size(), parked.size());
  for (size_t i = 0; i < kept.size(); ++i) {
    EXPECT_GT(kept[i].abs().sum().item<double>(), 0.0) << "parameter " << i;
    EXPECT_TRUE(torch::equal(kept[i], parked[i])) << "parameter " << i;
  }
}

// Attention through the kept kernel state against autograd through SDPA on the same inputs:
// the same output and the same q, k, v gradients, bit for bit (the same kernels run), for full
// multi-head and grouped-query attention. On the CPU SDPA picks its flash kernel.
TEST(KeptAttention, GivesSdpasOutputAndGradientsBitForBit) {
  for (const int64_t kv_heads : {4, 2}) {
    auto q = torch::randn({2, 4, 9, 8}), k = torch::randn({2, kv_heads, 9, 8}),
         v = torch::randn({2, kv_heads, 9, 8}), grad = torch::randn({2, 4, 9, 8});
    const auto kernel = KeepableKernel(q, k, v);
    ASSERT_TRUE(kernel.has_value()) << "kv_heads " << kv_heads;
    EXPECT_EQ(*kernel, AttentionKernel::kCpuFlash);
    auto qa = q.clone().requires_grad_(true), ka = k.clone().requires_grad_(true),
         va = v.clone().requires_grad_(true);
    auto reference = CausalAttention(qa, ka, va);
    reference.backward(grad);
    KeptAttention kept;
    const auto out = CausalAttentionKeeping(q, k, v, *kernel, kept);
    EXPECT_TRUE(torch::equal(out, reference.detach())) << "kv_heads " << kv_heads;
    // The recompute's q, k, v carry gradients only; their values are not read.
    auto qb = torch::full_like(q, NAN).requires_grad_(true),
         kb = torch::full_like(k, NAN).requires_grad_(true),
         vb = torch::full_like(v, NAN).requires_grad_(true);
    auto from_kept = AttentionFromKept(qb, kb, vb, kept);
    EXPECT_TRUE(torch::equal(from_kept.detach(), reference.detach()));
    from_kept.backward(grad);
    EXPECT_TRUE(torch::equal(qb.grad(), qa.grad())) << "kv_heads " << kv_heads;
    EXPECT_TRUE(torch::equal(kb.grad(), ka.grad())) << "kv_heads " << kv_heads;
    EXPECT_TRUE(torch::equal(vb.grad(), va.grad())) << "kv_heads " << kv_heads;
  }
}

// Checkpointing that keeps attention (train.recompute_attention false) recomputes only the MLP
// half, with and without activation offload, and gives plain checkpointing's gradients and loss
// bit for bit, dropout included (the recompute draws the same masks in the same order); the
// offload parks the kept tensors with each layer's input (parked_bytes after forward) and
// backward fetches every one of them (q, k, v from their own slot, at attention's backward).
TEST(Checkpointing, KeptAttentionGivesTheSameGradients) {
  for (const int64_t kv_heads : {4, 2}) {
    ModelShape shape = SmallShape();
    shape.kv_heads = kv_heads;
    LoraSpec lora{4, 8, 0.1, {"q", "k", "v", "o", "gate", "up", "down"}};
    auto model = RandomTrainingLlama(13, shape, lora);
    model->set_checkpointing(true);
    auto tokens = torch::randint(37, {2, 9}, torch::kInt64);
    auto labels = torch::randint(37, {2, 9}, torch::kInt64);
    const int64_t bt = 2 * 9, d = shape.hidden, kv = kv_heads * shape.head_dim();
    auto run = [&](bool recompute_attention, bool offload) {
      model->set_recompute_attention(recompute_attention);
      model->set_activation_offload(offload, torch::kCPU);
      model->zero_grad();
      torch::manual_seed(99);
      auto hidden = model->forward(tokens);
      if (offload) {
        const int64_t per_layer = recompute_attention ? bt * d : bt * (3 * d + 2 * kv);
        EXPECT_EQ(model->activation_offload()->parked_bytes(), shape.layers * per_layer * 4);
      }
      auto loss = ChunkedCrossEntropy(hidden, model->OutputWeight(), labels).loss;
      loss.backward();
      if (offload) {
        EXPECT_EQ(model->activation_offload()->parked_bytes(), 0);  // all fetched
      }
      std::vector<torch::Tensor> out{loss.detach()};
      for (auto& p : model->parameters()) out.push_back(p.grad().clone());
      return out;
    };
    const auto full = run(true, false);
    for (const bool offload : {false, true}) {
      const auto kept = run(false, offload);
      ASSERT_EQ(full.size(), kept.size());
      for (size_t i = 0; i < full.size(); ++i) {
        EXPECT_GT(full[i].abs().sum().item<double>(), 0.0) << "tensor " << i;
        EXPECT_TRUE(torch::equal(full[i], kept[i]))
            << "tensor " << i << " (0: loss), kv_heads " << kv_heads << ", offload " << offload;
      }
    }
    EXPECT_EQ(run(true, true).size(), full.size());  // the input-only offload still works
  }
}

TEST(ActivationOffloadSlots, SeveralTensorsTravelTogetherKeepingTheirStrides) {
  ActivationOffload offload(torch::kCPU);
  auto x = torch::randn({1, 3, 4});
  auto transposed = torch::randn({1, 3, 2, 4}).transpose(1, 2);  // a dense, non-contiguous view
  EXPECT_EQ(offload.Park({x, transposed}), 0);
  EXPECT_EQ(offload.parked_bytes(), (12 + 24) * 4);
  EXPECT_THROW(offload.Fetch(0), std::logic_error);  // two tensors, not one
  const auto back = offload.FetchAll(0);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_TRUE(torch::equal(back[0], x));
  EXPECT_TRUE(torch::equal(back[1], transposed));
  EXPECT_EQ(back[1].strides(), transposed.strides());
}

TEST(ActivationOffloadSlots, FetchReturnsWhatWasParkedOnceAndRefusesOtherSlots) {
  ActivationOffload offload(torch::kCPU);
  auto a = torch::randn({1, 3, 4}), b = torch::randn({1, 3, 4});
  EXPECT_EQ(offload.Park(a), 0);
  EXPECT_EQ(offload.Park(b), 1);
  const auto a_parked = a.clone();
  a.add_(1);  // the parked copy is not the caller's tensor
  EXPECT_EQ(offload.parked_bytes(), 2 * 12 * 4);
  EXPECT_TRUE(torch::equal(offload.Fetch(1), b));
  EXPECT_THROW(offload.Fetch(1), std::logic_error);  // fetched once
  EXPECT_TRUE(torch::equal(offload.Fetch(0), a_parked));
  EXPECT_THROW(offload.Fetch(2), std::logic_error);
  offload.Reset();
  EXPECT_THROW(offload.Fetch(0), std::logic_error);
  EXPECT_EQ(offload.parked_bytes(), 0);
}

// The fused LoRA projection (base GEMM with the update accumulated into it, backward by hand)
// against the plain autograd expression x W^T + s * linear(linear(dropout(x), a), b), for a dense
// frozen base and a 4-bit one, without and with dropout: the same mask from the same RNG state,
// the same values and gradients up to fp32 rounding (the fused form rounds once where the plain
// one rounds three times, and sums in another order: 1e-5 relative, 1e-6 absolute).
TEST(LoraProjection, EqualsThePlainExpressionWithAndWithoutDropout) {
  torch::manual_seed(3);
  for (const bool four_bit : {false, true}) {
    for (const double p : {0.0, 0.25}) {
      FrozenMatrix base;
      QuantPolicy policy;
      policy.type = four_bit ? "nf4" : "none";
      base.Set(torch::randn({8, 64}) * 0.1, policy, four_bit);
      const auto w = base.Get(torch::kFloat32);  // the weight both sides multiply by
      auto x = torch::randn({2, 5, 64}).requires_grad_(true);
      auto a = (torch::randn({4, 64}) * 0.3).requires_grad_(true);
      auto b = (torch::randn({8, 4}) * 0.3).requires_grad_(true);
      auto g = torch::randn({2, 5, 8});
      auto gen = at::globalContext().defaultGenerator(torch::kCPU);
      const auto state = gen.get_state();
      auto fused = LoraProjection(x, base, a, b, p, 2.0);
      fused.backward(g);
      std::vector<torch::Tensor> mine = {fused.detach().clone(), x.grad().clone(), a.grad().clone(),
                                         b.grad().clone()};
      for (auto* t : {&x, &a, &b}) t->mutable_grad() = torch::Tensor();
      gen.set_state(state);
      auto h = p > 0 ? torch::dropout(x, p, true) : x;
      auto plain = torch::nn::functional::linear(x, w) +
                   torch::nn::functional::linear(torch::nn::functional::linear(h, a), b) * 2.0;
      plain.backward(g);
      std::vector<torch::Tensor> reference = {plain.detach(), x.grad(), a.grad(), b.grad()};
      for (size_t i = 0; i < reference.size(); ++i) {
        EXPECT_TRUE(torch::allclose(mine[i], reference[i], 1e-5, 1e-6))
            << "4-bit " << four_bit << " p " << p << " tensor " << i << " max diff "
            << (mine[i] - reference[i]).abs().max().item<double>();
      }
    }
  }
}

// Without its output (a checkpoint's recompute of the down projection): the same gradients,
// bit for bit, from the same RNG state, and the shape of the output.
TEST(LoraProjection, GradientsOnlyGivesTheSameGradients) {
  torch::manual_seed(5);
  FrozenMatrix base;
  QuantPolicy policy;
  policy.type = "nf4";
  base.Set(torch::randn({8, 64}) * 0.1, policy, true);
  auto g = torch::randn({2, 5, 8});
  std::vector<std::vector<torch::Tensor>> grads;
  for (const bool output_needed : {true, false}) {
    torch::manual_seed(6);
    auto x = torch::randn({2, 5, 64}).requires_grad_(true);
    auto a = (torch::randn({4, 64}) * 0.3).requires_grad_(true);
    auto b = (torch::randn({8, 4}) * 0.3).requires_grad_(true);
    auto y = LoraProjection(x, base, a, b, 0.25, 2.0, output_needed);
    EXPECT_EQ(y.sizes(), (std::vector<int64_t>{2, 5, 8}));
    y.backward(g);
    grads.push_back({x.grad(), a.grad(), b.grad()});
  }
  for (size_t i = 0; i < 3; ++i) EXPECT_TRUE(torch::equal(grads[0][i], grads[1][i])) << i;
}

// An embedding table in host memory gives the same hidden states and gradients (the rows are
// gathered there instead of on the device); its bytes leave the device's count; a tied or 4-bit
// table is refused.
TEST(LlamaModel, EmbeddingsInHostMemoryGiveTheSameResults) {
  LoraSpec lora{4, 8, 0.0, {"q", "down"}};
  auto on_device = MakeRandomLlama(13, SmallShape(), lora, torch::TensorOptions());
  auto on_host = MakeRandomLlama(13, SmallShape(), lora, torch::TensorOptions());
  {
    torch::NoGradGuard no_grad;
    for (auto& p : on_device->parameters()) p.normal_(0, 0.1);
    auto src = on_device->parameters();
    auto dst = on_host->parameters();
    for (size_t i = 0; i < src.size(); ++i) dst[i].copy_(src[i]);
  }
  const int64_t before = on_host->BaseBytes();
  on_host->OffloadEmbeddings(torch::kCPU);
  EXPECT_TRUE(on_host->embeddings_on_host());
  EXPECT_EQ(on_host->BaseBytes(), before - 37 * 16 * 4);  // fp32 [V, D] on this CPU model
  auto tokens = torch::randint(37, {2, 9}, torch::kInt64);
  auto labels = torch::randint(37, {2, 9}, torch::kInt64);
  for (auto* model : {&on_device, &on_host}) {
    (*model)->train();
    (*model)->set_checkpointing(true);
    ChunkedCrossEntropy((*model)->forward(tokens), (*model)->OutputWeight(), labels)
        .loss.backward();
  }
  auto a = on_device->parameters(), b = on_host->parameters();
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(torch::equal(a[i].grad(), b[i].grad())) << "parameter " << i;
  }
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal(on_device->forward(tokens), on_host->forward(tokens)));

  auto tied_shape = SmallShape();
  tied_shape.tie_embeddings = true;
  auto tied = MakeRandomLlama(1, tied_shape, lora, torch::TensorOptions());
  EXPECT_THROW(tied->OffloadEmbeddings(torch::kCPU), std::invalid_argument);
  QuantPolicy four_bit;
  four_bit.type = "nf4";
  four_bit.skip = {"norm", "lm_head"};
  auto packed = MakeRandomLlama(1, SmallShape(), lora, torch::TensorOptions(), four_bit);
  EXPECT_THROW(packed->OffloadEmbeddings(torch::kCPU), std::invalid_argument);
}

TEST(LlamaModel, BaseWeightsDoNotDependOnLoraRank) {
  auto a = MakeRandomLlama(5, SmallShape(), LoraSpec{2, 4, 0, {"q"}}, torch::TensorOptions());
  auto b = MakeRandomLlama(5, SmallShape(), LoraSpec{8, 4, 0, {"q", "v", "down"}},
                           torch::TensorOptions());
  auto tokens = torch::randint(37, {1, 6}, torch::kInt64);
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal(a->forward(tokens), b->forward(tokens)));
}

TEST(LlamaModel, CausalOutputsDoNotSeeTheFuture) {
  auto model = MakeRandomLlama(3, SmallShape(), LoraSpec{}, torch::TensorOptions());
  torch::NoGradGuard no_grad;
  auto tokens = torch::randint(37, {1, 8}, torch::kInt64);
  auto changed = tokens.clone();
  changed.index_put_({0, 7}, (tokens.index({0, 7}).item<int64_t>() + 1) % 37);
  auto h1 = model->forward(tokens), h2 = model->forward(changed);
  EXPECT_TRUE(torch::allclose(h1.narrow(1, 0, 7), h2.narrow(1, 0, 7)));
  EXPECT_FALSE(torch::allclose(h1.narrow(1, 7, 1), h2.narrow(1, 7, 1)));
}

TEST(CosineWithWarmup, FollowsHuggingFaceFormula) {
  EXPECT_DOUBLE_EQ(CosineWithWarmup(1.0, 0, 4, 20), 0.0);
  EXPECT_DOUBLE_EQ(CosineWithWarmup(1.0, 2, 4, 20), 0.5);
  EXPECT_DOUBLE_EQ(CosineWithWarmup(1.0, 4, 4, 20), 1.0);
  EXPECT_NEAR(CosineWithWarmup(1.0, 12, 4, 20), 0.5, 1e-12);  // half way through the decay
  EXPECT_NEAR(CosineWithWarmup(1.0, 20, 4, 20), 0.0, 1e-12);
}

}  // namespace
}  // namespace qlsweep::trainer
