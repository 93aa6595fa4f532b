// Result keys: the names under which a trial's numbers are stored (results table, docs/records.md)
// and the fields of the events that carry them.
#pragma once

#include <string_view>

namespace qlsweep::protocol::result {

// Fields of the done event, stored under their own name.
inline constexpr std::string_view kSteps = "steps";
inline constexpr std::string_view kFinalLoss = "final_loss";
inline constexpr std::string_view kBaseEvalLoss = "base_eval_loss";
inline constexpr std::string_view kFinalEvalLoss = "final_eval_loss";
inline constexpr std::string_view kFinalEvalStep = "final_eval_step";
inline constexpr std::string_view kPerplexity = "perplexity";
inline constexpr std::string_view kTokenAccuracy = "token_accuracy";
inline constexpr std::string_view kEvalSequences = "eval_sequences";
inline constexpr std::string_view kEvalTokens = "eval_tokens";
inline constexpr std::string_view kTokensPerS = "tokens_per_s";
inline constexpr std::string_view kTokensPerSInclFirst = "tokens_per_s_incl_first";
inline constexpr std::string_view kStepTimeS = "step_time_s";
inline constexpr std::string_view kBudgetBytes = "budget_bytes";
inline constexpr std::string_view kContextBytes = "context_bytes";
inline constexpr std::string_view kAllocatorCapBytes = "allocator_cap_bytes";
inline constexpr std::string_view kTrainableParams = "trainable_params";
// fp16 trials: optimizer steps skipped for inf/NaN gradients, and the loss scale at the end.
inline constexpr std::string_view kSkippedSteps = "skipped_steps";
inline constexpr std::string_view kFinalLossScale = "final_loss_scale";
inline constexpr std::string_view kParams = "params";
inline constexpr std::string_view kBaseBytes = "base_bytes";
inline constexpr std::string_view kLoadS = "load_s";
inline constexpr std::string_view kPeakAllocBytes = "peak_alloc_bytes";
inline constexpr std::string_view kPeakReservedBytes = "peak_reserved_bytes";
inline constexpr std::string_view kDevicePeakBytes = "device_peak_bytes";
inline constexpr std::string_view kWallS = "wall_s";
inline constexpr std::string_view kWorldSize = "world_size";
// Sharded trials: the largest device peak over the ranks (device_peak_bytes is rank 0's).
inline constexpr std::string_view kMaxRankDevicePeakBytes = "max_rank_device_peak_bytes";

// Fields of a `memory` object (events started, step, oom).
inline constexpr std::string_view kAllocBytes = "alloc_bytes";
inline constexpr std::string_view kReservedBytes = "reserved_bytes";
inline constexpr std::string_view kDeviceUsedBytes = "device_used_bytes";

// Prefixes: numbers of the started event, of the last step's memory, of an oom event, and the
// memory estimator's predictions.
inline constexpr std::string_view kStartedPrefix = "started.";
inline constexpr std::string_view kLastStepPrefix = "last_step.";
inline constexpr std::string_view kOomPrefix = "oom.";
inline constexpr std::string_view kPredictedPrefix = "predicted.";
inline constexpr std::string_view kMemoryPrefix = "memory.";

// Predictions stored beside the measurement (predicted.<name>).
inline constexpr std::string_view kPredictedAllocatedBytes = "predicted.allocated_bytes";
inline constexpr std::string_view kPredictedReservedBytes = "predicted.reserved_bytes";
inline constexpr std::string_view kPredictedTotalBytes = "predicted.total_bytes";

// Composite keys the analysis reads.
inline constexpr std::string_view kStartedAllocBytes = "started.memory.alloc_bytes";
inline constexpr std::string_view kOomDeviceUsedBytes = "oom.memory.device_used_bytes";

}  // namespace qlsweep::protocol::result
