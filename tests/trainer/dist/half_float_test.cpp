// bfloat16 / half conversions: exhaustive round trips and round-to-nearest-even at every midpoint,
// overflow, NaN, and the pairwise sums the MPI backend reduces with.
#include "trainer/dist/half_float.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

namespace qlsweep::dist {
namespace {

struct Format {
  const char* name;
  float (*to_float)(uint16_t);
  uint16_t (*from_float)(float);
  uint16_t infinity;  // bits of +inf; every smaller positive pattern is finite
};

const Format kFormats[] = {{"bfloat16", BFloat16ToFloat, FloatToBFloat16, 0x7F80},
                           {"half", HalfToFloat, FloatToHalf, 0x7C00}};

TEST(HalfFloat, EveryValueRoundTripsThroughFloat) {
  for (const Format& f : kFormats) {
    SCOPED_TRACE(f.name);
    for (uint32_t bits = 0; bits <= 0xFFFF; ++bits) {
      const float value = f.to_float(static_cast<uint16_t>(bits));
      if (std::isnan(value)) {
        EXPECT_TRUE(std::isnan(f.to_float(f.from_float(value)))) << bits;
        continue;
      }
      ASSERT_EQ(f.from_float(value), bits) << value;
    }
  }
}

TEST(HalfFloat, MidpointsRoundToEvenAndNeighboursToTheNearer) {
  // Between consecutive positive values a (bits k) and b (bits k + 1) lies the midpoint m; m is a
  // float exactly (one more bit than either). The last step is from the largest finite value to
  // infinity, whose midpoint is that value plus half its unit: overflow rounds there.
  for (const Format& f : kFormats) {
    SCOPED_TRACE(f.name);
    for (uint32_t k = 0; k < f.infinity; ++k) {
      const float a = f.to_float(static_cast<uint16_t>(k));
      const float gap = k + 1 < f.infinity ? f.to_float(static_cast<uint16_t>(k + 1)) - a
                                           : a - f.to_float(static_cast<uint16_t>(k - 1));
      const float m = a + gap / 2;
      const uint16_t even = static_cast<uint16_t>(k % 2 == 0 ? k : k + 1);
      ASSERT_EQ(f.from_float(m), even) << "midpoint after " << a;
      ASSERT_EQ(f.from_float(std::nextafter(m, 0.0f)), k) << "just below the midpoint after " << a;
      ASSERT_EQ(f.from_float(std::nextafter(m, INFINITY)), k + 1) << "just above, after " << a;
      ASSERT_EQ(f.from_float(-m), even | 0x8000) << "negative midpoint after " << a;
    }
  }
}

TEST(HalfFloat, NamedCases) {
  EXPECT_EQ(FloatToBFloat16(1.0f), 0x3F80);
  EXPECT_EQ(FloatToBFloat16(1.0f + 0x1p-8f), 0x3F80);                     // tie, 1.0 is even
  EXPECT_EQ(FloatToBFloat16(1.0f + 3 * 0x1p-8f), 0x3F82);                 // tie, 1 + 2^-6 is even
  EXPECT_EQ(FloatToBFloat16(std::numeric_limits<float>::max()), 0x7F80);  // overflow: infinity
  EXPECT_EQ(FloatToBFloat16(-INFINITY), 0xFF80);
  EXPECT_TRUE(std::isnan(BFloat16ToFloat(FloatToBFloat16(NAN))));
  EXPECT_EQ(FloatToHalf(65504.0f), 0x7BFF);
  EXPECT_EQ(FloatToHalf(65519.0f), 0x7BFF);
  EXPECT_EQ(FloatToHalf(65520.0f), 0x7C00);
  EXPECT_EQ(FloatToHalf(0x1p-25f), 0x0000);      // tie between 0 and the smallest subnormal
  EXPECT_EQ(FloatToHalf(3 * 0x1p-25f), 0x0002);  // tie between subnormals 1 and 2
  EXPECT_EQ(FloatToHalf(-0.0f), 0x8000);
  EXPECT_EQ(HalfToFloat(0x0001), 0x1p-24f);
  EXPECT_EQ(HalfToFloat(0xC000), -2.0f);
  EXPECT_TRUE(std::isnan(HalfToFloat(FloatToHalf(NAN))));
}

// The representable neighbour of `exact` nearest to it, ties to the even pattern, found by
// looking at the patterns around a first guess (independent of the float sum the code takes).
uint16_t NearestBySearch(const Format& f, double exact) {
  const uint16_t guess = f.from_float(static_cast<float>(exact));
  uint16_t best = guess;
  double best_error = INFINITY;
  for (int step = -2; step <= 2; ++step) {
    const uint16_t bits = static_cast<uint16_t>(guess + step);
    const double error = std::fabs(static_cast<double>(f.to_float(bits)) - exact);
    if (std::isnan(error)) continue;
    if (error < best_error || (error == best_error && bits % 2 == 0)) {
      best = bits;
      best_error = error;
    }
  }
  return best;
}

TEST(HalfFloat, PairwiseSumsAreCorrectlyRounded) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> mantissa(-2.0f, 2.0f);
  std::uniform_int_distribution<int> exponent(-12, 12);  // spreads up to 2^24 between operands
  for (const bool bfloat16 : {true, false}) {
    const Format& f = kFormats[bfloat16 ? 0 : 1];
    SCOPED_TRACE(f.name);
    std::vector<uint16_t> in(100000);
    std::vector<uint16_t> inout(in.size());
    for (size_t i = 0; i < in.size(); ++i) {
      in[i] = f.from_float(std::ldexp(mantissa(rng), exponent(rng)));
      inout[i] = f.from_float(std::ldexp(mantissa(rng), exponent(rng)));
    }
    const std::vector<uint16_t> before = inout;
    (bfloat16 ? AddBFloat16 : AddHalf)(in.data(), inout.data(), in.size());
    for (size_t i = 0; i < in.size(); ++i) {
      // Two 16-bit values sum exactly in double.
      const double exact = static_cast<double>(f.to_float(in[i])) + f.to_float(before[i]);
      // -0 and +0 compare equal; the search cannot tell them apart.
      if (exact == 0) continue;
      ASSERT_EQ(inout[i], NearestBySearch(f, exact))
          << f.to_float(in[i]) << " + " << f.to_float(before[i]);
    }
  }
}

}  // namespace
}  // namespace qlsweep::dist
