// The trial schema table: the one place where trial keys, defaults and limits are defined.
#include "sweeps/schema.h"

#include <cstdint>

#include "sweeps/value_text.h"

namespace qlsweep::sweeps {
namespace {

using Strings = std::vector<std::string>;

Range Bounds(std::optional<double> min, bool min_open, std::optional<double> max, bool max_open) {
  Range r;
  r.min = min;
  r.min_open = min_open;
  r.max = max;
  r.max_open = max_open;
  return r;
}
Range AtLeast(double min) { return Bounds(min, false, std::nullopt, false); }
Range Above(double min) { return Bounds(min, true, std::nullopt, false); }
Range Between(double min, double max) { return Bounds(min, false, max, false); }
Range AboveUpTo(double min, double max) { return Bounds(min, true, max, false); }
Range FromBelow(double min, double max) { return Bounds(min, false, max, true); }

KeySpec Make(std::string key, ValueType type, nlohmann::json def, std::string doc) {
  KeySpec spec;
  spec.key = std::move(key);
  spec.type = type;
  spec.default_value = std::move(def);
  spec.doc = std::move(doc);
  return spec;
}

KeySpec Str(std::string key, std::string def, Strings choices, std::string doc) {
  KeySpec spec = Make(std::move(key), ValueType::kString, std::move(def), std::move(doc));
  spec.choices = std::move(choices);
  return spec;
}

KeySpec Int(std::string key, int64_t def, Range range, std::string doc) {
  KeySpec spec = Make(std::move(key), ValueType::kInt, def, std::move(doc));
  spec.range = range;
  return spec;
}

KeySpec Float(std::string key, double def, Range range, std::string doc) {
  KeySpec spec = Make(std::move(key), ValueType::kFloat, def, std::move(doc));
  spec.range = range;
  return spec;
}

KeySpec Bool(std::string key, bool def, std::string doc) {
  return Make(std::move(key), ValueType::kBool, def, std::move(doc));
}

KeySpec List(std::string key, Strings def, Strings choices, size_t min_items, std::string doc) {
  KeySpec spec = Make(std::move(key), ValueType::kStringList, def, std::move(doc));
  spec.choices = std::move(choices);
  spec.min_items = min_items;
  return spec;
}

// A key added after ids were first recorded (see KeySpec::id_at_default).
KeySpec Added(KeySpec spec) {
  spec.id_at_default = false;
  return spec;
}

KeySpec PowerOfTwo(KeySpec spec) {
  spec.power_of_two = true;
  return spec;
}

std::vector<KeySpec> BuildSchema() {
  const Strings kModules = {"q", "k", "v", "o", "gate", "up", "down"};
  const Strings kSkippable = {"embed", "norm", "lm_head"};
  return {
      Str("model.preset", "tiny",
          {"tiny", "smollm2-135m", "llama2-7b", "llama2-13b", "llama2-70b", "llama3-8b"},
          "model shape preset (random weights); not with model.weights"),
      Str("model.weights", "", {},
          "HF folder or .gguf file (its shapes; model.preset is then left out and recorded "
          "empty); empty = random weights of the preset's shapes"),
      Str("model.tokenizer", "", {},
          "tokenizer file; empty = the one beside the weights, or none (synthetic data)"),

      Str("quantization.type", "nf4", {"none", "nf4", "fp4"}, "4-bit format of the frozen base"),
      Bool("quantization.double_quant", true,
           "quantize the absmax values a second time (8-bit, block 256)"),
      PowerOfTwo(Int("quantization.block_size", 64, Between(32, 4096),
                     "weights per absmax (64 in QLoRA)")),
      List("quantization.skip", kSkippable, kSkippable, 0, "module kinds kept 16-bit"),

      Int("lora.r", 16, Between(1, 1024), "adapter rank"),
      Float("lora.alpha", 32.0, Above(0), "adapter scaling numerator: scaling = alpha / r"),
      Float("lora.dropout", 0.05, FromBelow(0, 1), "dropout on the adapter input, training only"),
      List("lora.targets", kModules, kModules, 1, "linear layers that get adapters"),
      Str("lora.init", "", {},
          "PEFT adapter folder to start from (adapter_config.json + adapter_model.safetensors); "
          "empty = fresh adapters (B = 0)"),

      Str("data.source", "synthetic", {"synthetic", "text", "jsonl", "tokens"},
          "training data kind; synthetic = random tokens, for shape-only runs"),
      Str("data.path", "", {}, "data file; required unless data.source is synthetic"),
      Int("data.seq_len", 512, Between(8, 131072), "tokens per sequence"),
      Float("data.eval_fraction", 0.05, AboveUpTo(0, 0.5),
            "share of sequences held out for evaluation"),
      Str("data.prompt_template", "alpaca", {}, "prompt template for jsonl instruction data"),

      Int("train.steps", 20, AtLeast(0), "optimizer steps; 0 = evaluate only"),
      Int("train.micro_batch", 1, AtLeast(1), "sequences per forward/backward pass"),
      Int("train.grad_accum", 1, AtLeast(1), "micro-batches per optimizer step"),
      Float("train.max_grad_norm", 1.0, AtLeast(0), "gradient clipping threshold; 0 disables"),
      Int("train.warmup_steps", 2, AtLeast(0),
          "linear warmup steps, then cosine decay; at most train.steps"),
      Bool("train.grad_checkpointing", true, "recompute each decoder layer in the backward pass"),
      Added(Bool("train.offload_activations", false,
                 "keep each checkpointed layer's saved input in pinned host memory between forward "
                 "and backward (copied on a side stream, back one layer ahead); needs "
                 "train.grad_checkpointing")),
      Added(Bool("train.recompute_attention", true,
                 "with train.grad_checkpointing, recompute each layer's attention half in backward "
                 "too; false keeps its q, k, v and attention output (in pinned host memory with "
                 "train.offload_activations, else on the device) and recomputes only the MLP half "
                 "(gradients checked bit for bit on the CPU; not yet run on a GPU: "
                 "docs/results.md)")),
      Added(Bool("train.offload_embeddings", false,
                 "keep the input embedding table in pinned host memory: each micro-batch's rows "
                 "are gathered there and copied over (a 16-bit table, 'embed' in "
                 "quantization.skip; not with tied embeddings or train.method full)")),
      Int("train.seed", 0, AtLeast(0), "seed for weights, data and dropout"),
      Added(Str("train.method", "lora", {"lora", "full"},
                "lora = adapters on a frozen base quantized per quantization.type; full = every "
                "weight trainable in the compute dtype (needs quantization.type none and "
                "hardware.gpus 1; lora.* are then ignored and recorded at their defaults)")),

      Str("optim.name", "paged_adamw_8bit",
          {"adamw", "adamw_8bit", "paged_adamw", "paged_adamw_8bit"},
          "optimizer; 8bit = blockwise 8-bit states, paged = states paged to host memory"),
      Float("optim.lr", 2e-4, AboveUpTo(0, 1), "peak learning rate"),
      Float("optim.beta1", 0.9, FromBelow(0, 1), "AdamW first-moment decay"),
      Float("optim.beta2", 0.999, FromBelow(0, 1), "AdamW second-moment decay"),
      Float("optim.eps", 1e-8, Above(0), "AdamW epsilon"),
      Float("optim.weight_decay", 0.0, AtLeast(0), "decoupled weight decay"),

      Int("eval.interval", 0, AtLeast(0),
          "evaluate every N optimizer steps; 0 = only before and after training"),
      Int("eval.sequences", 8, AtLeast(1),
          "held-out sequences per evaluation (the same ones whatever the micro-batch; capped at "
          "the eval split's size)"),

      Str("hardware.device", "auto", {"auto", "cpu", "cuda"}, "where the trial runs"),
      Str("hardware.dtype", "auto", {"auto", "bf16", "fp16", "fp32"},
          "compute dtype; auto = bf16 on GPU, fp32 on CPU; fp16 trains with dynamic loss "
          "scaling"),
      Str("hardware.gpu_profile", "", {},
          "emulate this card's memory (a runner GPU profile); empty = the whole GPU"),
      Added(Int("hardware.gpus", 1, Between(1, 1024),
                "GPUs (MPI ranks, one per GPU) of one trial; > 1 = a sharded trial under mpirun")),
      Added(Int("hardware.host_memory_mib", 0, AtLeast(0),
                "CPU trials: the trial process's data segment (heap and private mappings, "
                "RLIMIT_DATA) in MiB; a trial needing more ends oom; 0 = no limit")),

      Added(Int("distributed.zero_stage", 0, Between(0, 3),
                "sharding over the ranks: 0 data parallel, 1 + optimizer states, 2 + gradients, "
                "3 + the frozen 4-bit base (needs train.grad_checkpointing)")),
  };
}

}  // namespace

std::string_view TypeName(ValueType type) {
  switch (type) {
    case ValueType::kInt:
      return "int";
    case ValueType::kFloat:
      return "float";
    case ValueType::kBool:
      return "bool";
    case ValueType::kString:
      return "string";
    case ValueType::kStringList:
      return "string list";
  }
  return "?";
}

std::string KeySpec::Section() const { return key.substr(0, key.find('.')); }

std::string KeySpec::Leaf() const { return key.substr(key.find('.') + 1); }

const std::vector<KeySpec>& Schema() {
  static const std::vector<KeySpec> schema = BuildSchema();
  return schema;
}

const KeySpec* FindKey(std::string_view dotted) {
  for (const auto& spec : Schema()) {
    if (spec.key == dotted) return &spec;
  }
  return nullptr;
}

bool IsSection(std::string_view dotted) {
  for (const auto& spec : Schema()) {
    if (spec.Section() == dotted) return true;
  }
  return false;
}

std::vector<std::string> Sections() {
  std::vector<std::string> out;
  for (const auto& spec : Schema()) {
    if (out.empty() || out.back() != spec.Section()) out.push_back(spec.Section());
  }
  return out;
}

std::string ConstraintText(const KeySpec& spec) {
  std::string out;
  if (!spec.choices.empty()) {
    out = spec.type == ValueType::kStringList ? "each one of " : "one of ";
    for (size_t i = 0; i < spec.choices.size(); ++i) out += (i ? ", " : "") + spec.choices[i];
    if (spec.min_items > 0) out += "; at least " + std::to_string(spec.min_items);
    return out;
  }
  const Range& r = spec.range;
  if (r.min && r.max) {
    out = (r.min_open ? "(" : "[") + NumberText(*r.min) + ", " + NumberText(*r.max) +
          (r.max_open ? ")" : "]");
  } else if (r.min) {
    out = (r.min_open ? "> " : ">= ") + NumberText(*r.min);
  } else if (r.max) {
    out = (r.max_open ? "< " : "<= ") + NumberText(*r.max);
  }
  if (spec.power_of_two) out += ", a power of 2";
  return out;
}

}  // namespace qlsweep::sweeps
