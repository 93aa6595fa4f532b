// The exact byte counts behind the memory budget: tensor shapes, 4-bit storage, LoRA, AdamW states.
#include <stdexcept>

#include "analysis/memory_estimator.h"

namespace qlsweep::analysis {
namespace {

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace

std::vector<Projection> Projections(const sweeps::ModelShape& shape) {
  const int64_t d = shape.hidden, f = shape.intermediate;
  const int64_t kv = shape.kv_heads * shape.head_dim();
  return {{"q", d, d},    {"k", d, kv}, {"v", d, kv},  {"o", d, d},
          {"gate", d, f}, {"up", d, f}, {"down", f, d}};
}

int ComputeBytes(const sweeps::HardwareConfig& hardware) {
  if (hardware.dtype == "fp32") return 4;
  if (hardware.dtype == "auto" && hardware.device == "cpu") return 4;
  return 2;  // bf16, fp16, or auto on a GPU (bf16)
}

int64_t QuantizedTensorBytes(int64_t numel, const sweeps::QuantizationConfig& q) {
  if (q.block_size <= 0) throw std::invalid_argument("quantization.block_size must be positive");
  const int64_t codes = CeilDiv(numel, 2);
  const int64_t blocks = CeilDiv(numel, q.block_size);
  if (!q.double_quant) return codes + 4 * blocks;
  return codes + blocks + 4 * CeilDiv(blocks, kDoubleQuantBlock) + 4;
}

int64_t BaseLinearBytes(const sweeps::ModelShape& shape, const sweeps::QuantizationConfig& q,
                        int compute_bytes) {
  int64_t per_layer = 0;
  for (const auto& p : Projections(shape)) {
    const int64_t numel = p.in * p.out;
    per_layer += q.type == "none" ? numel * compute_bytes : QuantizedTensorBytes(numel, q);
  }
  return shape.layers * per_layer;
}

int64_t LoraParams(const sweeps::ModelShape& shape, const sweeps::LoraConfig& lora) {
  int64_t per_layer = 0;
  for (const auto& p : Projections(shape)) {
    for (const auto& t : lora.targets) {
      if (t == p.name) per_layer += int64_t{lora.r} * (p.in + p.out);
    }
  }
  return shape.layers * per_layer;
}

int64_t AdamStateBytes(int64_t numel, bool eight_bit) {
  if (!eight_bit || numel < kOptim8bitMinElements) return 2 * 4 * numel;
  return 2 * (numel + 4 * CeilDiv(numel, kOptim8bitBlock));
}

}  // namespace qlsweep::analysis
