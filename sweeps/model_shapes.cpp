// Model shape presets, taken from each model's published config.json.
#include "sweeps/model_shapes.h"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace qlsweep::sweeps {
namespace {

std::vector<ModelShape> MakePresets() {
  std::vector<ModelShape> p;
  // A random model small enough to train for a few steps on a CPU in seconds.
  p.push_back({.name = "tiny",
               .vocab = 512,
               .hidden = 64,
               .intermediate = 176,
               .layers = 2,
               .heads = 4,
               .kv_heads = 2,
               .max_seq = 2048,
               .rope_theta = 10000.0,
               .rope_scaling = {},
               .rms_eps = 1e-5,
               .tie_embeddings = false});
  // HuggingFaceTB/SmolLM2-135M.
  p.push_back({.name = "smollm2-135m",
               .vocab = 49152,
               .hidden = 576,
               .intermediate = 1536,
               .layers = 30,
               .heads = 9,
               .kv_heads = 3,
               .max_seq = 8192,
               .rope_theta = 100000.0,
               .rope_scaling = {},
               .rms_eps = 1e-5,
               .tie_embeddings = true});
  // meta-llama/Llama-2-7b-hf.
  p.push_back({.name = "llama2-7b",
               .vocab = 32000,
               .hidden = 4096,
               .intermediate = 11008,
               .layers = 32,
               .heads = 32,
               .kv_heads = 32,
               .max_seq = 4096,
               .rope_theta = 10000.0,
               .rope_scaling = {},
               .rms_eps = 1e-5,
               .tie_embeddings = false});
  // meta-llama/Llama-2-13b-hf.
  p.push_back({.name = "llama2-13b",
               .vocab = 32000,
               .hidden = 5120,
               .intermediate = 13824,
               .layers = 40,
               .heads = 40,
               .kv_heads = 40,
               .max_seq = 4096,
               .rope_theta = 10000.0,
               .rope_scaling = {},
               .rms_eps = 1e-5,
               .tie_embeddings = false});
  // meta-llama/Llama-2-70b-hf: grouped-query attention (8 key/value heads).
  p.push_back({.name = "llama2-70b",
               .vocab = 32000,
               .hidden = 8192,
               .intermediate = 28672,
               .layers = 80,
               .heads = 64,
               .kv_heads = 8,
               .max_seq = 4096,
               .rope_theta = 10000.0,
               .rope_scaling = {},
               .rms_eps = 1e-5,
               .tie_embeddings = false});
  // meta-llama/Meta-Llama-3-8B.
  p.push_back({.name = "llama3-8b",
               .vocab = 128256,
               .hidden = 4096,
               .intermediate = 14336,
               .layers = 32,
               .heads = 32,
               .kv_heads = 8,
               .max_seq = 8192,
               .rope_theta = 500000.0,
               .rope_scaling = {},
               .rms_eps = 1e-5,
               .tie_embeddings = false});
  return p;
}

const std::vector<ModelShape>& Presets() {
  static const std::vector<ModelShape> presets = MakePresets();
  return presets;
}

}  // namespace

int64_t ModelShape::LinearParams() const {
  const int64_t kv = kv_heads * head_dim();
  const int64_t attn = hidden * hidden * 2 + hidden * kv * 2;  // q, o; k, v
  const int64_t mlp = 3 * hidden * intermediate;               // gate, up, down
  return layers * (attn + mlp);
}

int64_t ModelShape::TotalParams() const {
  const int64_t embed = vocab * hidden * (tie_embeddings ? 1 : 2);
  const int64_t norms = (2 * layers + 1) * hidden;
  return LinearParams() + embed + norms;
}

std::optional<ShapeProblem> CheckModelShape(const ModelShape& s, const ShapeKeyNames& keys) {
  const auto range = [](const std::string& key, int64_t value,
                        int64_t max) -> std::optional<ShapeProblem> {
    if (value >= 1 && value <= max) return std::nullopt;
    return ShapeProblem{
        key, "must be between 1 and " + std::to_string(max) + ", got " + std::to_string(value)};
  };
  for (const auto& problem :
       {range(keys.layers, s.layers, kMaxShapeLayers),
        range(keys.hidden, s.hidden, kMaxShapeHidden),
        range(keys.intermediate, s.intermediate, kMaxShapeIntermediate),
        range(keys.heads, s.heads, kMaxShapeHeads),
        range(keys.kv_heads, s.kv_heads, kMaxShapeHeads),
        range(keys.vocab, s.vocab, kMaxShapeVocab), range(keys.max_seq, s.max_seq, kMaxShapeSeq)}) {
    if (problem) return problem;
  }
  if (s.hidden % s.heads != 0) {
    return ShapeProblem{keys.heads, "(" + std::to_string(s.heads) + ") must divide " + keys.hidden +
                                        " (" + std::to_string(s.hidden) + ")"};
  }
  if (s.heads % s.kv_heads != 0) {
    return ShapeProblem{keys.kv_heads, "(" + std::to_string(s.kv_heads) + ") must divide " +
                                           keys.heads + " (" + std::to_string(s.heads) + ")"};
  }
  if (s.head_dim() % 2 != 0) {
    return ShapeProblem{keys.heads, "(" + std::to_string(s.heads) +
                                        ") gives an odd head dimension " +
                                        std::to_string(s.head_dim()) + " (" + keys.hidden +
                                        " / heads); RoPE needs an even one"};
  }
  const auto number = [](double v) {
    std::ostringstream out;
    out << v;
    return out.str();
  };
  if (!std::isfinite(s.rope_theta) || s.rope_theta <= 0) {
    return ShapeProblem{keys.rope_theta,
                        "must be a finite number above 0, got " + number(s.rope_theta)};
  }
  if (!std::isfinite(s.rms_eps) || s.rms_eps <= 0 || s.rms_eps >= 1) {
    return ShapeProblem{keys.rms_eps,
                        "must be a finite number above 0 and below 1, got " + number(s.rms_eps)};
  }
  return std::nullopt;
}

const std::vector<std::string>& PresetNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& s : Presets()) n.push_back(s.name);
    return n;
  }();
  return names;
}

ModelShape PresetShape(const std::string& name) {
  for (const auto& s : Presets()) {
    if (s.name == name) return s;
  }
  std::string known;
  for (const auto& n : PresetNames()) known += (known.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown model preset '" + name + "' (known: " + known + ")");
}

}  // namespace qlsweep::sweeps
