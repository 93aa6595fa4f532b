// bfloat16 / half conversions with round-to-nearest-even, on the bits of IEEE float.
#include "trainer/dist/half_float.h"

#include <bit>
#include <cmath>

namespace qlsweep::dist {

float BFloat16ToFloat(uint16_t bits) { return std::bit_cast<float>(uint32_t{bits} << 16); }

uint16_t FloatToBFloat16(float value) {
  uint32_t bits = std::bit_cast<uint32_t>(value);
  if ((bits & 0x7FFFFFFFu) > 0x7F800000u) {
    return static_cast<uint16_t>((bits >> 16) | 0x0040u);  // NaN: keep the sign, set quiet bit
  }
  // Adding 0x7FFF plus the kept part's last bit carries into bit 16 exactly when the dropped 16
  // bits are above half, or exactly half with an odd kept part. A carry out of the mantissa
  // raises the exponent, which is the correct rounding too (up to infinity).
  bits += 0x7FFFu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

float HalfToFloat(uint16_t bits) {
  const float sign = (bits & 0x8000u) ? -1.0f : 1.0f;
  const uint32_t exponent = (bits >> 10) & 0x1Fu;
  const uint32_t mantissa = bits & 0x3FFu;
  if (exponent == 0) return sign * std::ldexp(static_cast<float>(mantissa), -24);  // subnormal, 0
  if (exponent == 0x1F) {
    const uint32_t f = (uint32_t{bits & 0x8000u} << 16) | 0x7F800000u | (mantissa << 13);
    return std::bit_cast<float>(f);  // infinity, NaN (payload kept)
  }
  return sign * std::ldexp(static_cast<float>(mantissa | 0x400u), static_cast<int>(exponent) - 25);
}

uint16_t FloatToHalf(float value) {
  const uint32_t bits = std::bit_cast<uint32_t>(value);
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  const uint32_t magnitude = bits & 0x7FFFFFFFu;
  if (magnitude > 0x7F800000u) return sign | 0x7E00u;  // NaN
  // 65520 = 65504 (the largest half) plus half its unit: that tie and all above round to infinity.
  if (magnitude >= 0x477FF000u) return sign | 0x7C00u;
  if (magnitude < 0x38800000u) {
    // Below 2^-14 (the smallest normal half): a multiple of 2^-24. Scaling by 2^24 is exact, and
    // nearbyint rounds to nearest even in the default rounding mode; 1024 encodes 2^-14 itself.
    const float units = std::nearbyint(std::fabs(value) * 0x1p24f);
    return sign | static_cast<uint16_t>(units);
  }
  // Normal: rebias the exponent (127 -> 15), keep the top 10 mantissa bits, round on the other 13.
  uint32_t half = (magnitude >> 13) - (112u << 10);
  const uint32_t dropped = magnitude & 0x1FFFu;
  if (dropped > 0x1000u || (dropped == 0x1000u && (half & 1u))) ++half;  // may carry into exponent
  return sign | static_cast<uint16_t>(half);
}

void AddBFloat16(const uint16_t* in, uint16_t* inout, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    inout[i] = FloatToBFloat16(BFloat16ToFloat(in[i]) + BFloat16ToFloat(inout[i]));
  }
}

void AddHalf(const uint16_t* in, uint16_t* inout, size_t n) {
  for (size_t i = 0; i < n; ++i) inout[i] = FloatToHalf(HalfToFloat(in[i]) + HalfToFloat(inout[i]));
}

}  // namespace qlsweep::dist
