// The JSON-line events a trial emits (docs/events.md): kinds and the names of their fields.
#pragma once

#include <string_view>

namespace qlsweep::protocol {

// Event kinds: the value of the "event" field.
namespace event {
inline constexpr std::string_view kKey = "event";  // the field that holds the kind
inline constexpr std::string_view kStarted = "started";
inline constexpr std::string_view kStep = "step";
inline constexpr std::string_view kEval = "eval";
inline constexpr std::string_view kOom = "oom";
inline constexpr std::string_view kDone = "done";
inline constexpr std::string_view kError = "error";
// What the trial is busy with before its first step: `phase` load (reading and quantizing the
// weights) or eval with `base` true (scoring the untuned model on `sequences` rows).
inline constexpr std::string_view kProgress = "progress";
}  // namespace event

// Fields of events that are not result keys (result_keys.h has those).
namespace field {
inline constexpr std::string_view kTrial = "trial";
inline constexpr std::string_view kDevice = "device";
inline constexpr std::string_view kDtype = "dtype";
inline constexpr std::string_view kGpuProfile = "gpu_profile";
inline constexpr std::string_view kStep = "step";
inline constexpr std::string_view kLoss = "loss";
inline constexpr std::string_view kLr = "lr";
inline constexpr std::string_view kGradNorm = "grad_norm";
// fp16 trials (dynamic loss scaling): the scale the step's loss was multiplied by, and 1 when
// its gradients held an inf or NaN and the optimizer step was skipped (else 0).
inline constexpr std::string_view kLossScale = "loss_scale";
inline constexpr std::string_view kSkipped = "skipped";
inline constexpr std::string_view kTokens = "tokens";
inline constexpr std::string_view kSequences = "sequences";
inline constexpr std::string_view kEvalLoss = "eval_loss";
inline constexpr std::string_view kBase = "base";
inline constexpr std::string_view kPhase = "phase";
inline constexpr std::string_view kMessage = "message";
inline constexpr std::string_view kMemory = "memory";
inline constexpr std::string_view kRank = "rank";  // the rank an oom/error happened on
inline constexpr std::string_view kWorldSize = "world_size";
inline constexpr std::string_view kRankPeaks = "rank_device_peak_bytes";  // array, one per rank
}  // namespace field

// Phases named by oom and error events.
namespace phase {
inline constexpr std::string_view kConfig = "config";  // the trial file could not be read
inline constexpr std::string_view kLoad = "load";
inline constexpr std::string_view kForward = "forward";
inline constexpr std::string_view kBackward = "backward";
inline constexpr std::string_view kOptimizer = "optimizer";
inline constexpr std::string_view kEval = "eval";
inline constexpr std::string_view kSave = "save";
inline constexpr std::string_view kCommunicate = "communicate";
}  // namespace phase

}  // namespace qlsweep::protocol
