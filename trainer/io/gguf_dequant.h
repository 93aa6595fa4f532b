// Dequantization of ggml tensor blocks (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, and the
// k-quants Q4_K, Q5_K, Q6_K) to float32.
#pragma once

#include <cstdint>
#include <string>

namespace qlsweep::trainer {

// Whether DequantizeGgml handles this ggml type code.
bool GgmlTypeSupported(uint32_t type_code);
// Names of the supported types, for messages ("F32, F16, ...").
std::string GgmlSupportedTypeNames();

// Decodes `n` values (a multiple of the type's block size) stored as `type_code` at `src` into
// `dst`, following ggml's reference dequantize_row_* (ggml-quants.c). Throws std::invalid_argument
// for an unsupported type.
void DequantizeGgml(uint32_t type_code, const uint8_t* src, int64_t n, float* dst);

// IEEE half (binary16) bits to float, exact for every value including subnormals, inf and NaN.
float HalfToFloat(uint16_t bits);

}  // namespace qlsweep::trainer
