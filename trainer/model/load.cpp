// LoadLlama: LoadBase fed by a WeightSource; OpenWeights picks the source for a path.
#include "trainer/model/load.h"

#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "trainer/io/gguf_source.h"
#include "trainer/io/hf_checkpoint.h"
#include "trainer/io/shape_text.h"

namespace qlsweep::trainer {
LlamaModel LoadLlama(WeightSource& source, const LoraSpec& lora, const torch::TensorOptions& opts,
                     const QuantPolicy& policy, uint64_t adapter_seed,
                     const LlamaModelImpl::LayerLoaded& on_layer) {
  LlamaModel model(source.Shape(), lora, opts);
  const auto target = torch::TensorOptions().device(opts.device()).dtype(opts.dtype());
  model->LoadBase(
      [&](const std::string& name, const std::vector<int64_t>& shape) {
        if (!source.Has(name)) {
          throw std::runtime_error(source.Describe() + ": tensor " + name + " is missing");
        }
        torch::Tensor t = source.Read(name);  // float32 CPU
        if (t.sizes().vec() != shape) {
          throw std::runtime_error(source.Describe() + ": tensor " + name + " has shape " +
                                   ShapeText(t.sizes().vec()) + ", the model expects " +
                                   ShapeText(shape));
        }
        return t.to(target).contiguous();
      },
      policy, on_layer);
  torch::manual_seed(adapter_seed);
  model->ResetAdapters();
  return model;
}

std::unique_ptr<WeightSource> OpenWeights(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path p(path);
  if (fs::is_directory(p)) return std::make_unique<HfCheckpoint>(path);
  if (!fs::exists(p)) throw std::runtime_error(path + ": no such file or folder");
  if (fs::is_regular_file(p) && p.extension() == ".gguf") return std::make_unique<GgufSource>(path);
  throw std::runtime_error(path + ": not a .gguf file nor an HF checkpoint folder");
}

}  // namespace qlsweep::trainer
