// Llama model shapes: hyper-parameters and the named presets (tiny, smollm2-135m, llama2-7b, ...).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace qlsweep::sweeps {

// Llama 3.1's RoPE frequency scaling (HF rope_type "llama3"): wavelengths longer than
// original_max_seq / low_freq_factor are stretched by `factor`, those shorter than
// original_max_seq / high_freq_factor are kept, and the band between is interpolated.
// GGUF files carry the same scaling precomputed, as llama.cpp's `rope_freqs.weight`: one divisor
// per frequency (inv_freq[i] / freq_factors[i]).
struct RopeScaling {
  double factor = 0;  // 0 = no scaling (plain RoPE)
  double low_freq_factor = 1;
  double high_freq_factor = 4;
  int64_t original_max_seq = 8192;
  std::vector<float> freq_factors;  // [hd/2] from a GGUF; used instead of the four values above
  bool enabled() const { return factor > 0 || !freq_factors.empty(); }
};

// The hyper-parameters that fix every tensor shape of a Llama-family decoder.
// Legend used in shape comments across the trainer: B batch, T sequence, D hidden (= H * hd),
// H query heads, Hkv key/value heads, hd head dim, F MLP width, V vocabulary, R LoRA rank.
struct ModelShape {
  std::string name;
  int64_t vocab = 0;         // V
  int64_t hidden = 0;        // D
  int64_t intermediate = 0;  // F
  int64_t layers = 0;
  int64_t heads = 0;     // H
  int64_t kv_heads = 0;  // Hkv; H % Hkv == 0
  int64_t max_seq = 0;   // longest supported T
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;  // Llama 3.1+ only
  double rms_eps = 1e-5;
  bool tie_embeddings = false;

  int64_t head_dim() const { return hidden / heads; }
  // Parameters of the 7 projections of all layers (the weights QLoRA quantizes).
  int64_t LinearParams() const;
  // All parameters: projections, embeddings, lm_head (unless tied) and norms.
  int64_t TotalParams() const;
};

// The names of ModelShape's fields in one checkpoint format (HF config.json keys, GGUF metadata
// keys), so that a problem names the key the user can look up.
struct ShapeKeyNames {
  std::string vocab, hidden, intermediate, layers, heads, kv_heads, max_seq, rope_theta, rms_eps;
};

// Sane ranges of a shape read from a file (far beyond any published model, well short of sizes
// that overflow or exhaust memory before the first tensor is read).
inline constexpr int64_t kMaxShapeLayers = 10000;
inline constexpr int64_t kMaxShapeHidden = 1 << 20;        // D
inline constexpr int64_t kMaxShapeIntermediate = 1 << 22;  // F
inline constexpr int64_t kMaxShapeHeads = 1 << 16;         // H, Hkv
inline constexpr int64_t kMaxShapeVocab = 1 << 24;         // V
inline constexpr int64_t kMaxShapeSeq = 1 << 24;           // max_seq

// What is wrong with a shape read from a checkpoint: {key, problem} naming the first field out of
// range ("must be between 1 and 10000, got 0"), heads that do not divide the width, key/value
// heads that do not divide the heads, an odd head dimension (RoPE rotates pairs), a rope theta or
// RMS epsilon that is not a finite positive number (epsilon below 1). nullopt when it is sane.
struct ShapeProblem {
  std::string key;
  std::string problem;
};
std::optional<ShapeProblem> CheckModelShape(const ModelShape& shape, const ShapeKeyNames& keys);

// The preset of that name; throws std::invalid_argument listing the known names.
ModelShape PresetShape(const std::string& name);
const std::vector<std::string>& PresetNames();

}  // namespace qlsweep::sweeps
