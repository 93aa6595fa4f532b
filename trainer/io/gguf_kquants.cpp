// ggml k-quants, decoded as ggml's reference C does (ggml-quants.c, dequantize_row_q*_K).
#include "trainer/io/gguf_kquants.h"

#include <cstring>

#include "trainer/io/gguf_dequant.h"

namespace qlsweep::trainer {
namespace {

constexpr int kQK = 256;  // values per super-block

float Half(const uint8_t* p) {
  uint16_t bits;
  std::memcpy(&bits, p, 2);
  return HalfToFloat(bits);
}

// ggml's get_scale_min_k4: the 6-bit scale and min of sub-block j (0..7) from the 12 packed bytes.
void ScaleMin(int j, const uint8_t* q, uint8_t* scale, uint8_t* min) {
  if (j < 4) {
    *scale = q[j] & 63;
    *min = q[j + 4] & 63;
  } else {
    *scale = static_cast<uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    *min = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

// Q4_K and Q5_K share everything but the fifth bit (qh == nullptr for Q4_K).
void DequantQ45K(const uint8_t* d_ptr, const uint8_t* scales, const uint8_t* qh, const uint8_t* qs,
                 float* y) {
  const float d = Half(d_ptr), dmin = Half(d_ptr + 2);
  uint8_t sc, m, u1 = 1, u2 = 2;
  for (int j = 0, is = 0; j < kQK; j += 64, is += 2, qs += 32) {
    ScaleMin(is, scales, &sc, &m);
    const float d1 = d * sc, m1 = dmin * m;
    ScaleMin(is + 1, scales, &sc, &m);
    const float d2 = d * sc, m2 = dmin * m;
    for (int l = 0; l < 32; ++l) {
      const int high = qh != nullptr && (qh[l] & u1) ? 16 : 0;
      *y++ = d1 * static_cast<float>((qs[l] & 0xF) + high) - m1;
    }
    for (int l = 0; l < 32; ++l) {
      const int high = qh != nullptr && (qh[l] & u2) ? 16 : 0;
      *y++ = d2 * static_cast<float>((qs[l] >> 4) + high) - m2;
    }
    u1 = static_cast<uint8_t>(u1 << 2);
    u2 = static_cast<uint8_t>(u2 << 2);
  }
}

}  // namespace

void DequantQ4_K(const uint8_t* src, int64_t blocks, float* dst) {
  for (int64_t i = 0; i < blocks; ++i, src += 144, dst += kQK) {
    DequantQ45K(src, src + 4, nullptr, src + 16, dst);
  }
}

void DequantQ5_K(const uint8_t* src, int64_t blocks, float* dst) {
  for (int64_t i = 0; i < blocks; ++i, src += 176, dst += kQK) {
    DequantQ45K(src, src + 4, src + 16, src + 48, dst);
  }
}

void DequantQ6_K(const uint8_t* src, int64_t blocks, float* dst) {
  for (int64_t i = 0; i < blocks; ++i, src += 210) {
    const uint8_t* ql = src;
    const uint8_t* qh = src + 128;
    const auto* sc = reinterpret_cast<const int8_t*>(src + 192);
    const float d = Half(src + 208);
    for (int n = 0; n < kQK; n += 128, dst += 128, ql += 64, qh += 32, sc += 8) {
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        dst[l] = d * static_cast<float>(sc[is]) * static_cast<float>(q1);
        dst[l + 32] = d * static_cast<float>(sc[is + 2]) * static_cast<float>(q2);
        dst[l + 64] = d * static_cast<float>(sc[is + 4]) * static_cast<float>(q3);
        dst[l + 96] = d * static_cast<float>(sc[is + 6]) * static_cast<float>(q4);
      }
    }
  }
}

}  // namespace qlsweep::trainer
