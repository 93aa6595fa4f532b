// ggml block dequantization, value for value as ggml's reference dequantize_row_* functions.
#include "trainer/io/gguf_dequant.h"

#include <cstring>
#include <stdexcept>

#include "trainer/io/gguf_file.h"
#include "trainer/io/gguf_kquants.h"

namespace qlsweep::trainer {
namespace {

uint16_t Load16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}

float Fp16At(const uint8_t* p) { return HalfToFloat(Load16(p)); }

// block_q8_0 {half d; int8 qs[32]}: x = qs * d.
void DequantQ8_0(const uint8_t* src, int64_t blocks, float* dst) {
  for (int64_t b = 0; b < blocks; ++b, src += 34, dst += 32) {
    const float d = Fp16At(src);
    for (int j = 0; j < 32; ++j) dst[j] = static_cast<float>(static_cast<int8_t>(src[2 + j])) * d;
  }
}

// block_q4_0 {half d; uint8 qs[16]}: element j < 16 is the low nibble of qs[j], element j + 16 the
// high nibble; x = (q - 8) * d.
void DequantQ4_0(const uint8_t* src, int64_t blocks, float* dst) {
  for (int64_t b = 0; b < blocks; ++b, src += 18, dst += 32) {
    const float d = Fp16At(src);
    const uint8_t* qs = src + 2;
    for (int j = 0; j < 16; ++j) {
      dst[j] = static_cast<float>((qs[j] & 0x0F) - 8) * d;
      dst[j + 16] = static_cast<float>((qs[j] >> 4) - 8) * d;
    }
  }
}

// block_q4_1 {half d; half m; uint8 qs[16]}: nibbles as Q4_0; x = q * d + m.
void DequantQ4_1(const uint8_t* src, int64_t blocks, float* dst) {
  for (int64_t b = 0; b < blocks; ++b, src += 20, dst += 32) {
    const float d = Fp16At(src);
    const float m = Fp16At(src + 2);
    const uint8_t* qs = src + 4;
    for (int j = 0; j < 16; ++j) {
      dst[j] = static_cast<float>(qs[j] & 0x0F) * d + m;
      dst[j + 16] = static_cast<float>(qs[j] >> 4) * d + m;
    }
  }
}

// block_q5_0 {half d; uint8 qh[4]; uint8 qs[16]}: bit i of the little-endian uint32 qh is the
// fifth bit of element i; x = (q - 16) * d. block_q5_1 adds half m after d and x = q * d + m.
template <bool kHasMin>
void DequantQ5(const uint8_t* src, int64_t blocks, float* dst) {
  constexpr int kHeader = kHasMin ? 4 : 2;
  constexpr int kBytes = kHeader + 4 + 16;
  for (int64_t b = 0; b < blocks; ++b, src += kBytes, dst += 32) {
    const float d = Fp16At(src);
    uint32_t qh;
    std::memcpy(&qh, src + kHeader, 4);
    const uint8_t* qs = src + kHeader + 4;
    for (int j = 0; j < 16; ++j) {
      const int lo = (qs[j] & 0x0F) | static_cast<int>(((qh >> j) & 1u) << 4);
      const int hi = (qs[j] >> 4) | static_cast<int>(((qh >> (j + 16)) & 1u) << 4);
      if constexpr (kHasMin) {
        const float m = Fp16At(src + 2);
        dst[j] = static_cast<float>(lo) * d + m;
        dst[j + 16] = static_cast<float>(hi) * d + m;
      } else {
        dst[j] = static_cast<float>(lo - 16) * d;
        dst[j + 16] = static_cast<float>(hi - 16) * d;
      }
    }
  }
}

}  // namespace

float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1Fu;
  uint32_t mant = h & 0x3FFu;
  uint32_t bits;
  if (exp == 0x1F) {
    bits = sign | 0x7F800000u | (mant << 13);  // inf / NaN
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);  // normal: rebias 15 -> 127
  } else if (mant == 0) {
    bits = sign;  // signed zero
  } else {
    // Subnormal half: normalise the mantissa into a normal float.
    uint32_t e = 113;
    while ((mant & 0x400u) == 0) {
      mant <<= 1;
      --e;
    }
    bits = sign | (e << 23) | ((mant & 0x3FFu) << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

bool GgmlTypeSupported(uint32_t code) {
  switch (static_cast<GgmlType>(code)) {
    case GgmlType::kF32:
    case GgmlType::kF16:
    case GgmlType::kBF16:
    case GgmlType::kQ8_0:
    case GgmlType::kQ4_0:
    case GgmlType::kQ4_1:
    case GgmlType::kQ5_0:
    case GgmlType::kQ5_1:
    case GgmlType::kQ4_K:
    case GgmlType::kQ5_K:
    case GgmlType::kQ6_K:
      return true;
    default:
      return false;
  }
}

std::string GgmlSupportedTypeNames() {
  return "F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K";
}

void DequantizeGgml(uint32_t code, const uint8_t* src, int64_t n, float* dst) {
  switch (static_cast<GgmlType>(code)) {
    case GgmlType::kF32:
      std::memcpy(dst, src, static_cast<size_t>(n) * 4);
      return;
    case GgmlType::kF16:
      for (int64_t i = 0; i < n; ++i) dst[i] = HalfToFloat(Load16(src + 2 * i));
      return;
    case GgmlType::kBF16:
      for (int64_t i = 0; i < n; ++i) {
        const uint32_t bits = static_cast<uint32_t>(Load16(src + 2 * i)) << 16;
        std::memcpy(dst + i, &bits, 4);
      }
      return;
    case GgmlType::kQ8_0:
      DequantQ8_0(src, n / 32, dst);
      return;
    case GgmlType::kQ4_0:
      DequantQ4_0(src, n / 32, dst);
      return;
    case GgmlType::kQ4_1:
      DequantQ4_1(src, n / 32, dst);
      return;
    case GgmlType::kQ5_0:
      DequantQ5<false>(src, n / 32, dst);
      return;
    case GgmlType::kQ5_1:
      DequantQ5<true>(src, n / 32, dst);
      return;
    case GgmlType::kQ4_K:
      DequantQ4_K(src, n / 256, dst);
      return;
    case GgmlType::kQ5_K:
      DequantQ5_K(src, n / 256, dst);
      return;
    case GgmlType::kQ6_K:
      DequantQ6_K(src, n / 256, dst);
      return;
    default:
      break;
  }
  throw std::invalid_argument("cannot dequantize ggml " + GgmlTypeName(code) +
                              " (supported: " + GgmlSupportedTypeNames() + ")");
}

}  // namespace qlsweep::trainer
