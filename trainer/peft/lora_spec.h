// LoraSpec: which projections carry a LoRA adapter and its hyper-parameters (the lora.* keys).
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "sweeps/trial_config.h"

namespace qlsweep::trainer {

// Defaults are the trial schema's (sweeps/schema.cpp: lora.alpha 32, dropout 0).
struct LoraSpec {
  int64_t r = 0;  // 0 = no adapters
  double alpha = 32;
  double dropout = 0;
  std::set<std::string> targets;  // subset of q, k, v, o, gate, up, down
};

// The spec of a resolved trial config's lora section.
inline LoraSpec LoraSpecOf(const sweeps::LoraConfig& cfg) {
  return {cfg.r, cfg.alpha, cfg.dropout, {cfg.targets.begin(), cfg.targets.end()}};
}

}  // namespace qlsweep::trainer
