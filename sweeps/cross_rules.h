// Rules that tie several trial keys together (each key alone may be valid, the mix is not).
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sweeps/config_error.h"

namespace qlsweep::sweeps {

// Checks a resolved config: train.warmup_steps <= train.steps; data.path is set unless
// data.source is synthetic; model.preset is not set together with model.weights; paths that exist
// are of the right kind (data.path a file, lora.init a folder, model.weights a folder or file, a
// .gguf weights path a file; no devices, FIFOs or sockets); train.method full has
// quantization.type none, hardware.gpus 1 and no lora.init; hardware.dtype fp16 has hardware.gpus
// 1. `key_lines` (dotted key -> line where
// it was set) places each issue on the line of the key the user most likely has to change. Issues
// carry no file.
std::vector<ConfigIssue> CheckCrossRules(const nlohmann::json& resolved,
                                         const std::map<std::string, int>& key_lines);

// A full fine-tuning trial (train.method full) ignores lora.*: they are set back to the schema's
// defaults, so that trials differing only there are one trial (one id) and the record does not
// claim settings that had no effect. Other trials are left as they are.
void ResetIgnoredKeys(nlohmann::json& resolved);

}  // namespace qlsweep::sweeps
