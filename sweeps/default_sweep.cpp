// The built-in default sweep: LoRA rank 4, 8, 16 on the tiny preset, unquantized; CPU unless a GPU
// is present.
#include "sweeps/load.h"

namespace qlsweep::sweeps {

const std::string& DefaultSweepYaml() {
  static const std::string text =
      R"(# qlsweep's built-in default sweep: a few seconds on a CPU, no downloads.
# Random weights of the tiny preset, synthetic data; varies the LoRA rank.
# Copy this file and edit it; docs/sweep-file.md describes every key.
name: default
description: LoRA rank 4, 8 and 16 on the tiny preset (random weights, synthetic data); on the GPU if there is one
base:
  model:
    preset: tiny
  quantization:
    type: none
  data:
    source: synthetic
    seq_len: 64
  train:
    steps: 24
    micro_batch: 4
  optim:
    name: adamw
    lr: 0.01  # high for real models; lets a random tiny model learn in 24 steps
  eval:
    interval: 8
    sequences: 2
grid:
  lora.r: [4, 8, 16]
)";
  return text;
}

ExpandedSweep DefaultSweep(const CommandLineOverrides& overrides) {
  ExpandedSweep sweep = LoadSweepText(DefaultSweepYaml(), "<built-in default sweep>", overrides);
  sweep.file = "";
  return sweep;
}

}  // namespace qlsweep::sweeps
