// PEFT adapter files: save a model's LoRA adapters (its NamedProjections) as
// adapter_model.safetensors + adapter_config.json, and load them back (from qlsweep or from HF
// PEFT).
#pragma once

#include <string>

#include "trainer/peft/lora_linear.h"
#include "trainer/peft/lora_spec.h"

namespace qlsweep::trainer {

// Writes `dir`/adapter_model.safetensors (for every adapted projection, PEFT's names
// "base_model.model.<module path>.lora_A.weight" [r, in] and ".lora_B.weight" [out, r], in the
// adapters' dtype) and `dir`/adapter_config.json (peft_type LORA, task_type CAUSAL_LM, r,
// lora_alpha, lora_dropout, target_modules as q_proj ... down_proj, bias none,
// base_model_name_or_path = `base_model`). Creates `dir`; each file appears whole or not at all.
// Throws std::runtime_error naming the file on failure.
void SaveAdapter(const NamedProjections& projections, const LoraSpec& lora, const std::string& dir,
                 const std::string& base_model);

// Checks `dir`/adapter_config.json against `lora` (the LoadAdapter rules that need no model), so a
// mismatch is reported before any weights load. Throws std::invalid_argument naming the file.
void CheckAdapterConfig(const std::string& dir, const LoraSpec& lora);

// Copies the adapters in `dir` (as SaveAdapter or PEFT's save_pretrained writes them) into the
// projections' adapters, converted to their dtype and device. The adapter must match `lora`: same
// r, lora_alpha and target modules, plain LoRA (no DoRA, rsLoRA, per-module rank or alpha, bias);
// every adapted projection's A and B present with its shape and no other tensor. Throws
// std::invalid_argument naming the file and the key or tensor that disagrees.
void LoadAdapter(const NamedProjections& projections, const LoraSpec& lora, const std::string& dir);

}  // namespace qlsweep::trainer
