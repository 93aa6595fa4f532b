// ZeRO-3 base sharding under mpiexec (2, 3, 4 ranks): the all-gathered bytes of every decoder
// layer equal the unsharded tensors, byte for byte, and the layer computes the same output.
#include <gtest/gtest.h>

#include <mpi.h>

#include <vector>

#include "trainer/dist/mpi_communicator.h"
#include "trainer/model/llama.h"
#include "trainer/parallel/layer_shard.h"

namespace qlsweep::trainer {
namespace {

// A small shape whose layer byte counts are not multiples of 16 x ranks.
sweeps::ModelShape OddShape() {
  auto s = sweeps::PresetShape("tiny");
  s.layers = 2;
  s.hidden = 96;
  s.intermediate = 200;
  return s;
}

struct Case {
  std::string quant;
  bool double_quant;
};

class LayerShardTest : public ::testing::TestWithParam<Case> {};

TEST_P(LayerShardTest, GatheredBytesEqualTheUnshardedTensorsAndTheLayerComputesTheSame) {
  const auto comm = dist::MakeMpiCommunicator(MPI_COMM_WORLD);
  QuantPolicy policy;
  policy.type = GetParam().quant;
  policy.double_quant = GetParam().double_quant;
  const LoraSpec lora{4, 8, 0, {"q", "v", "down"}};
  const auto opts = torch::TensorOptions().dtype(torch::kFloat32);
  auto plain = MakeRandomLlama(7, OddShape(), lora, opts, policy);
  std::vector<std::unique_ptr<LayerShard>> shards;
  auto sharded =
      MakeRandomLlama(7, OddShape(), lora, opts, policy, [&](int64_t, DecoderLayerImpl& layer) {
        shards.push_back(std::make_unique<LayerShard>(layer, *comm));
      });
  ASSERT_EQ(shards.size(), 2u);
  auto x =
      torch::randn({2, 5, OddShape().hidden}, torch::Generator(at::detail::createCPUGenerator(3)));
  const auto [cos, sin] =
      std::pair{torch::ones({5, OddShape().head_dim()}), torch::zeros({5, OddShape().head_dim()})};
  for (size_t i = 0; i < shards.size(); ++i) {
    auto& want = *plain->layers[i]->as<DecoderLayerImpl>();
    auto& got = *sharded->layers[i]->as<DecoderLayerImpl>();
    // Released: the slots hold nothing.
    for (auto* t : got.FrozenTensors()) EXPECT_EQ(t->numel(), 0);
    EXPECT_LT(shards[i]->shard_bytes() * comm->Size() - shards[i]->full_bytes(), 16 * comm->Size());
    shards[i]->Acquire();
    const auto a = want.FrozenTensors(), b = got.FrozenTensors();
    ASSERT_EQ(a.size(), b.size());
    for (size_t j = 0; j < a.size(); ++j) {
      ASSERT_EQ(a[j]->scalar_type(), b[j]->scalar_type()) << "layer " << i << " tensor " << j;
      ASSERT_EQ(a[j]->sizes(), b[j]->sizes()) << "layer " << i << " tensor " << j;
      EXPECT_TRUE(
          torch::equal(a[j]->view({-1}).view(torch::kUInt8), b[j]->view({-1}).view(torch::kUInt8)))
          << "layer " << i << " tensor " << j;
    }
    shards[i]->Release();
    torch::NoGradGuard no_grad;
    EXPECT_TRUE(torch::equal(want.forward(x, cos, sin), got.forward(x, cos, sin))) << i;
    for (auto* t : got.FrozenTensors()) EXPECT_EQ(t->numel(), 0);  // released after forward
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, LayerShardTest,
                         ::testing::Values(Case{"nf4", true}, Case{"nf4", false}, Case{"fp4", true},
                                           Case{"none", false}),
                         [](const auto& info) {
                           return info.param.quant + (info.param.double_quant ? "_dq" : "");
                         });

}  // namespace
}  // namespace qlsweep::trainer
