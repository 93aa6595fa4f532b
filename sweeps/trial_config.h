// TrialConfig: one fully resolved, validated training trial; the contract between sweeps and
// trainer.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace qlsweep::sweeps {

// Every field is filled from the schema (sweeps/schema.h): defaults live there, not here.
struct ModelConfig {
  std::string
      preset;  // shape preset: tiny, smollm2-135m, llama2-7b, llama2-13b, llama2-70b, llama3-8b
  std::string weights;    // HF folder or .gguf file; empty = random weights of the preset's shapes
  std::string tokenizer;  // tokenizer file; empty = the one beside the weights, or none (synthetic)
};

struct QuantizationConfig {
  std::string type;               // none | nf4 | fp4
  bool double_quant;              // quantize the absmax values a second time (8-bit, block 256)
  int block_size;                 // weights per absmax (64 in QLoRA)
  std::vector<std::string> skip;  // module kinds kept 16-bit: embed, norm, lm_head
};

struct LoraConfig {
  int r;                             // adapter rank (>= 1)
  double alpha;                      // scaling = alpha / r
  double dropout;                    // on the adapter input, training only
  std::vector<std::string> targets;  // subset of q, k, v, o, gate, up, down
  std::string init;                  // PEFT adapter folder to start from; empty = fresh (B = 0)
};

struct DataConfig {
  std::string source;           // synthetic | text | jsonl | tokens
  std::string path;             // data file; empty for synthetic
  int seq_len;                  // tokens per sequence
  double eval_fraction;         // share of sequences held out for evaluation
  std::string prompt_template;  // jsonl only
};

struct TrainConfig {
  int steps;                // optimizer steps
  int micro_batch;          // sequences per forward/backward
  int grad_accum;           // micro-batches per optimizer step
  double max_grad_norm;     // clip threshold; <= 0 disables
  int warmup_steps;         // linear warmup, then cosine decay
  bool grad_checkpointing;  // recompute each decoder layer in backward
  int seed;
  std::string method;  // lora (adapters on a frozen base) | full (every weight trainable, 16-bit)
  bool offload_activations = false;  // saved layer inputs in pinned host memory (checkpointing)
  bool offload_embeddings = false;   // the input embedding table in pinned host memory
  bool recompute_attention = true;   // false: checkpointing keeps q, k, v, attention output
};

struct OptimConfig {
  std::string name;  // adamw | adamw_8bit | paged_adamw | paged_adamw_8bit
  double lr;
  double beta1;
  double beta2;
  double eps;
  double weight_decay;
};

struct EvalConfig {
  int interval;   // evaluate every N optimizer steps; 0 = only before and after training
  int sequences;  // held-out sequences per evaluation, independent of the micro-batch
};

struct HardwareConfig {
  std::string device;       // auto | cpu | cuda
  std::string dtype;        // auto (bf16 on GPU, fp32 on CPU) | bf16 | fp16 (loss-scaled) | fp32
  std::string gpu_profile;  // emulate this card's memory (sweeps/gpu_profiles.h); empty = whole GPU
  int gpus;                 // ranks of the trial (one per GPU); > 1 = sharded under mpirun
};

struct DistributedConfig {
  int zero_stage;  // 0 data parallel; 1 + optimizer states; 2 + gradients; 3 + frozen base
};

struct TrialConfig {
  std::string id;    // short hash of the canonical resolved config (see sweeps/trial_id.h)
  std::string name;  // human label, e.g. "lora.r=16,data.seq_len=512" or a named point
  ModelConfig model;
  QuantizationConfig quantization;
  LoraConfig lora;
  DataConfig data;
  TrainConfig train;
  OptimConfig optim;
  EvalConfig eval;
  HardwareConfig hardware;
  DistributedConfig distributed;
  nlohmann::json resolved;  // the canonical resolved config (all keys, defaults applied)
};

}  // namespace qlsweep::sweeps
