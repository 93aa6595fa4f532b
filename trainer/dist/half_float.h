// bfloat16 and IEEE half (float16) bits <-> float, rounding to nearest even, and the elementwise
// sums the MPI backend reduces them with.
#pragma once

#include <cstddef>
#include <cstdint>

namespace qlsweep::dist {

// Exact (every bfloat16 / half value is a float).
float BFloat16ToFloat(uint16_t bits);
float HalfToFloat(uint16_t bits);

// Round to nearest, ties to even (what torch and CUDA's __float2bfloat16 / __float2half do):
// the nearer of the two neighbouring values, on a tie the one whose last mantissa bit is 0.
// Overflow gives infinity (half: |x| >= 65520; bfloat16: above the largest value by half a unit
// in the last place or more), NaN stays NaN (quiet), and half keeps subnormals.
uint16_t FloatToBFloat16(float value);
uint16_t FloatToHalf(float value);

// inout[i] <- round(in[i] + inout[i]) for i < n, each sum taken in float and rounded once more to
// the 16-bit type as above. That is the correctly rounded sum of each pair: the float sum of two
// bfloat16 (or half) values is exact unless their exponents are so far apart that the smaller is
// far below half a 16-bit unit of the larger, where the float rounding cannot create or break a
// tie. A sum over N ranks is N - 1 such roundings, in an order MPI chooses: |error| <=
// (N - 1) u / (1 - (N - 1) u) * sum |x| with u = 2^-8 (bfloat16) or 2^-11 (half).
void AddBFloat16(const uint16_t* in, uint16_t* inout, size_t n);
void AddHalf(const uint16_t* in, uint16_t* inout, size_t n);

}  // namespace qlsweep::dist
