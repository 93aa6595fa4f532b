// parity tier: 4-bit quantization equals bitsandbytes 0.50.2 byte for byte on the same inputs
// (reference: tests/assets/parity/bnb_4bit.safetensors, from scripts/reference/dump_bnb_4bit.py).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "trainer/io/safetensors.h"
#include "trainer/quant/four_bit.h"

namespace qlsweep::trainer {
namespace {

const SafetensorsFile& Reference() {
  static const SafetensorsFile file(std::string(QLSWEEP_SOURCE_DIR) +
                                    "/tests/assets/parity/bnb_4bit.safetensors");
  return file;
}

class FourBitParity : public ::testing::TestWithParam<std::string> {};

TEST_P(FourBitParity, NibblesAndAbsmaxEqualBitsandbytes) {
  const auto& ref = Reference();
  const auto& input = GetParam();
  auto x = ref.Read(input + ".input");
  for (const std::string type : {"nf4", "fp4"}) {
    SCOPED_TRACE(input + " " + type);
    auto q = Quantize4bit(x, ParseFourBitType(type), 64, /*double_quant=*/false);
    // Exact: the same float32 ops pick the same codes, packed high nibble first.
    EXPECT_TRUE(torch::equal(q.packed, ref.Read(input + "." + type + ".packed")));
    EXPECT_TRUE(torch::equal(q.absmax, ref.Read(input + "." + type + ".absmax")));
    auto deq = Dequantize4bit(q, torch::kFloat32).reshape({-1});
    EXPECT_TRUE(torch::equal(deq, ref.Read(input + "." + type + ".dequant")));
  }
}

TEST_P(FourBitParity, DoubleQuantizationEqualsBitsandbytes) {
  const auto& ref = Reference();
  const auto& input = GetParam();
  auto x = ref.Read(input + ".input");
  auto q = Quantize4bit(x, FourBitType::kNf4, 64, /*double_quant=*/true);
  EXPECT_TRUE(torch::equal(q.packed, ref.Read(input + ".nf4dq.packed")));
  // The offset is a float32 mean: equal up to summation order (1 ulp of ~3.0 is 2.4e-7).
  EXPECT_NEAR(q.offset, ref.Read(input + ".nf4dq.offset").item<double>(), 1e-6);
  auto codes = ref.Read(input + ".nf4dq.absmax_codes");
  const auto differing = q.absmax_codes.ne(codes).sum().item<int64_t>();
  EXPECT_EQ(differing, 0) << "second-level codes differ in " << differing << " of "
                          << codes.numel();
  EXPECT_TRUE(torch::allclose(q.absmax2, ref.Read(input + ".nf4dq.absmax2"), 0, 1e-6));
  auto deq = Dequantize4bit(q, torch::kFloat32).reshape({-1});
  // Same codes and scales; the offset may differ in its last bit: 1e-6 relative.
  EXPECT_TRUE(torch::allclose(deq, ref.Read(input + ".nf4dq.dequant"), 1e-6, 1e-7));
}

INSTANTIATE_TEST_SUITE_P(Inputs, FourBitParity, ::testing::Values("normal", "zeros", "ragged"));

TEST(FourBit, DoubleQuantizedAbsmaxRoundTripsClosely) {
  torch::manual_seed(0);
  auto w = torch::randn({512, 1024});
  auto plain = Quantize4bit(w, FourBitType::kNf4, 64, false);
  auto dq = Quantize4bit(w, FourBitType::kNf4, 64, true);
  EXPECT_TRUE(torch::equal(plain.packed, dq.packed));  // the codes do not depend on double quant
  // 8-bit dynamic map on (absmax - mean): relative error well under 1% for Gaussian weights.
  auto rel = ((Absmax(dq) - plain.absmax).abs() / plain.absmax).max().item<double>();
  EXPECT_LT(rel, 0.01);
}

TEST(FourBit, StorageCostIsFourAndAHalfOrFourPointOneTwoSevenBits) {
  auto w = torch::randn({4096, 4096});
  const double n = static_cast<double>(w.numel());
  EXPECT_NEAR(
      8.0 * static_cast<double>(Quantize4bit(w, FourBitType::kNf4, 64, false).StorageBytes()) / n,
      4.5, 1e-6);
  // 4 + 8/64 + 32/(64*256) bits, plus one float offset.
  EXPECT_NEAR(
      8.0 * static_cast<double>(Quantize4bit(w, FourBitType::kNf4, 64, true).StorageBytes()) / n,
      4.127, 1e-3);
}

TEST(FourBit, ZeroBlocksDequantizeToZero) {
  auto w = torch::zeros({2, 128});
  w.index_put_({1, 5}, 3.0);
  auto deq = Dequantize4bit(Quantize4bit(w, FourBitType::kNf4, 64, true), torch::kFloat32);
  EXPECT_EQ(deq.index({0}).abs().sum().item<double>(), 0.0);
}

}  // namespace
}  // namespace qlsweep::trainer
