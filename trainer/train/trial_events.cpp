// Event JSON of a trial (see trial_events.h); field names come from protocol/.
#include "trainer/train/trial_events.h"

#include <algorithm>
#include <cmath>

#include "protocol/events.h"
#include "protocol/result_keys.h"

namespace qlsweep::trainer {

namespace ev = protocol::event;
namespace f = protocol::field;
namespace k = protocol::result;
using nlohmann::json;

double SpeedMeter::TokensPerS() const {
  if (steps > 1) return static_cast<double>(tokens_per_step * (steps - 1)) / steady_s;
  if (steps == 1) return static_cast<double>(tokens_per_step) / train_s;
  return 0.0;
}

double SpeedMeter::TokensPerSInclFirst() const {
  return steps > 0 ? static_cast<double>(tokens_per_step * steps) / train_s : 0.0;
}

double SpeedMeter::StepTimeS() const {
  return steps > 0 ? train_s / static_cast<double>(steps) : 0.0;
}

json MemoryJson(const MemorySample& m) {
  return {{k::kAllocBytes, m.alloc_bytes},
          {k::kReservedBytes, m.reserved_bytes},
          {k::kPeakAllocBytes, m.peak_alloc_bytes},
          {k::kPeakReservedBytes, m.peak_reserved_bytes},
          {k::kDeviceUsedBytes, m.device_used_bytes}};
}

json StartedEvent(const sweeps::TrialConfig& cfg, TrialState& s) {
  return {{ev::kKey, ev::kStarted},
          {f::kTrial, cfg.id},
          {f::kDevice, s.device.str()},
          {f::kDtype, std::string(c10::toString(s.dtype))},
          {f::kGpuProfile, cfg.hardware.gpu_profile},
          {k::kBudgetBytes, s.budget.budget_bytes},
          {k::kContextBytes, s.budget.context_bytes},
          {k::kAllocatorCapBytes, s.budget.allocator_cap_bytes},
          {k::kBaseBytes, HeldBaseBytes(s)},
          {k::kParams, s.shape.TotalParams()},
          {k::kTrainableParams, s.trainable_params},
          {k::kLoadS, s.load_s},
          {f::kMemory, MemoryJson(s.memory->Sample())}};
}

json LoadProgressEvent() {
  return {{ev::kKey, ev::kProgress}, {f::kPhase, protocol::phase::kLoad}};
}

json BaseEvalProgressEvent(int64_t sequences) {
  return {{ev::kKey, ev::kProgress},
          {f::kPhase, protocol::phase::kEval},
          {f::kBase, true},
          {f::kSequences, sequences}};
}

json EvalEvent(int64_t step, const EvalResult& r, bool base) {
  return {{ev::kKey, ev::kEval},           {f::kStep, step},
          {f::kEvalLoss, r.loss},          {k::kPerplexity, std::exp(r.loss)},
          {k::kTokenAccuracy, r.accuracy}, {f::kSequences, r.sequences},
          {f::kTokens, r.tokens},          {f::kBase, base}};
}

json StepEvent(int64_t step, const StepResult& r, double lr, int64_t tokens,
               const MemorySample& memory) {
  json event = {{ev::kKey, ev::kStep},       {f::kStep, step},
                {f::kLoss, r.loss},          {f::kLr, lr},
                {f::kGradNorm, r.grad_norm}, {f::kTokens, tokens},
                {k::kStepTimeS, r.seconds},  {f::kMemory, MemoryJson(memory)}};
  if (r.scaled) {
    event[f::kLossScale] = r.loss_scale;
    event[f::kSkipped] = r.skipped ? 1 : 0;
  }
  return event;
}

json DoneEvent(TrialState& s, const TrialSummary& t) {
  const auto mem = s.memory->Sample();
  json done = {{ev::kKey, ev::kDone},
               {k::kBudgetBytes, s.budget.budget_bytes},
               {k::kContextBytes, s.budget.context_bytes},
               {k::kAllocatorCapBytes, s.budget.allocator_cap_bytes},
               {k::kSteps, t.steps},
               {k::kFinalLoss, t.final_loss},
               {k::kBaseEvalLoss, t.base.loss},
               {k::kFinalEvalLoss, t.last_eval.loss},
               {k::kFinalEvalStep, t.last_eval_step},
               {k::kPerplexity, std::exp(t.last_eval.loss)},
               {k::kTokenAccuracy, t.last_eval.accuracy},
               {k::kEvalSequences, t.last_eval.sequences},
               {k::kEvalTokens, t.last_eval.tokens},
               {k::kTokensPerS, t.speed.TokensPerS()},
               {k::kTokensPerSInclFirst, t.speed.TokensPerSInclFirst()},
               {k::kStepTimeS, t.speed.StepTimeS()},
               {k::kTrainableParams, s.trainable_params},
               {k::kPeakAllocBytes, mem.peak_alloc_bytes},
               {k::kPeakReservedBytes, mem.peak_reserved_bytes},
               {k::kDevicePeakBytes, s.memory->device_peak_bytes()},
               {k::kWallS, t.wall_s}};
  if (s.scaler) {
    done[k::kSkippedSteps] = t.skipped_steps;
    done[k::kFinalLossScale] = s.scaler->Scale();
  }
  if (!t.rank_device_peaks.empty()) {
    done[k::kWorldSize] = t.rank_device_peaks.size();
    done[f::kRankPeaks] = t.rank_device_peaks;
    done[k::kMaxRankDevicePeakBytes] =
        *std::max_element(t.rank_device_peaks.begin(), t.rank_device_peaks.end());
  }
  return done;
}

json OomEvent(const std::string& phase, const std::string& message, int64_t budget_bytes,
              MemoryMonitor* memory) {
  json event = {{ev::kKey, ev::kOom},
                {f::kPhase, phase},
                {f::kMessage, message},
                {k::kBudgetBytes, budget_bytes}};
  if (memory != nullptr) event[f::kMemory] = MemoryJson(memory->Sample());
  return event;
}

json ErrorEvent(const std::string& phase, const std::string& message) {
  return {{ev::kKey, ev::kError}, {f::kPhase, phase}, {f::kMessage, message}};
}

}  // namespace qlsweep::trainer
