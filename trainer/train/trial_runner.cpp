// The training recipe: set up, evaluate the base model, train, evaluate, save (see trial_runner.h).
#include "trainer/train/trial_runner.h"

#include <algorithm>
#include <chrono>
#include <new>
#include <stdexcept>

#include "protocol/events.h"
#include "protocol/exit_codes.h"
#include "sweeps/host_memory.h"
#include "trainer/io/adapter_io.h"
#include "trainer/memory/host_memory_limit.h"
#include "trainer/train/evaluate.h"
#include "trainer/train/schedule.h"
#include "trainer/train/step_profile.h"
#include "trainer/train/train_step.h"
#include "trainer/train/trial_events.h"
#include "trainer/train/trial_state.h"

namespace qlsweep::trainer {
namespace {

using Clock = std::chrono::steady_clock;
namespace phases = protocol::phase;

bool EvalDue(const sweeps::TrialConfig& cfg, int64_t step) {
  return (cfg.eval.interval > 0 && step % cfg.eval.interval == 0) || step == cfg.train.steps;
}

int Train(const sweeps::TrialConfig& cfg, const TrialOutputs& outputs, EventSink& sink,
          Phase& phase) {
  const auto start = Clock::now();
  if (!outputs.adapter_dir.empty() && cfg.train.method == "full") {
    throw std::invalid_argument(
        "--save-adapter " + outputs.adapter_dir +
        ": train.method full trains the whole model and has no adapter to save (its weights "
        "are not saved)");
  }
  sink.Emit(LoadProgressEvent());
  TrialState s = SetupTrial(cfg, phase);
  sink.Emit(StartedEvent(cfg, s));
  const auto evaluate = [&] {
    return Evaluate(s.model, *s.data, cfg.eval.sequences, cfg.train.micro_batch, s.device,
                    EvalShards(s));
  };

  TrialSummary t;
  phase.name = phases::kEval;
  sink.Emit(BaseEvalProgressEvent(std::min<int64_t>(cfg.eval.sequences, s.data->EvalRows())));
  t.base = EvaluateBase(s.model, *s.data, cfg.eval.sequences, cfg.train.micro_batch, s.device,
                        EvalShards(s));
  TightenGpuProfileCap(s.budget, s.device);
  sink.Emit(EvalEvent(0, t.base, true));
  t.last_eval = t.base;          // a fresh adapter (B = 0) is the base model
  if (!cfg.lora.init.empty()) {  // a loaded one is evaluated as it starts
    t.last_eval = evaluate();
    sink.Emit(EvalEvent(0, t.last_eval, false));
  }

  t.speed.tokens_per_step = int64_t{cfg.train.micro_batch} * cfg.train.grad_accum *
                            cfg.data.seq_len * (s.dist ? s.dist->size : 1);  // all ranks
  const auto profile = StepProfile::FromEnvironment(s.dist ? s.dist->rank : 0);
  s.memory->ResetPeaks();
  for (int64_t step = 1; step <= cfg.train.steps; ++step) {
    const double lr =
        CosineWithWarmup(cfg.optim.lr, step - 1, cfg.train.warmup_steps, cfg.train.steps);
    if (profile) profile->Before(step);
    const StepResult r = TrainStep(s, cfg, lr, phase);
    if (profile) profile->After(step, r.seconds);
    t.speed.Add(r.seconds);
    t.final_loss = r.loss;
    if (r.skipped) ++t.skipped_steps;
    TightenGpuProfileCap(s.budget, s.device);
    sink.Emit(StepEvent(step, r, lr, t.speed.tokens_per_step * step, s.memory->Sample()));
    if (EvalDue(cfg, step)) {
      phase.name = phases::kEval;
      t.last_eval = evaluate();
      t.last_eval_step = step;
      sink.Emit(EvalEvent(step, t.last_eval, false));
    }
  }
  if (!outputs.adapter_dir.empty() && (!s.dist || s.dist->rank == 0)) {
    phase.name = phases::kSave;
    SaveAdapter(s.model->NamedProjections(), s.lora, outputs.adapter_dir,
                cfg.model.weights.empty() ? cfg.model.preset : cfg.model.weights);
  }
  t.steps = cfg.train.steps;
  if (s.dist) t.rank_device_peaks = GatherInt64(*s.dist, s.memory->device_peak_bytes());
  t.wall_s = std::chrono::duration<double>(Clock::now() - start).count();
  sink.Emit(DoneEvent(s, t));
  return protocol::kExitDone;
}

// A sharded trial's events come from rank 0; the other ranks report only their own oom or error
// (rank-tagged, so the coordinator can name the rank).
class RankSink : public EventSink {
 public:
  RankSink(EventSink& inner, const Phase& phase) : inner_(inner), phase_(phase) {}
  void Emit(const nlohmann::json& event) override {
    const auto kind = event.value(protocol::event::kKey, "");
    const bool failure = kind == protocol::event::kOom || kind == protocol::event::kError;
    if (phase_.dist == nullptr) return inner_.Emit(event);
    if (!failure) {
      if (phase_.dist->rank == 0) inner_.Emit(event);
      return;
    }
    auto tagged = event;
    tagged[protocol::field::kRank] = phase_.dist->rank;
    tagged[protocol::field::kWorldSize] = phase_.dist->size;
    inner_.Emit(tagged);
  }

 private:
  EventSink& inner_;
  const Phase& phase_;
};

// Emits the failure and returns its exit code; a sharded trial ends its whole MPI job.
int Fail(EventSink& sink, const Phase& phase, const nlohmann::json& event, int code) {
  sink.Emit(event);
  if (phase.dist != nullptr && phase.dist->size > 1) AbortJob(code);
  return code;
}

// Runs the trial and turns each kind of failure into its event and exit code.
int RunAndReport(const sweeps::TrialConfig& cfg, const TrialOutputs& outputs, EventSink& ranked,
                 Phase& phase) {
  try {
    ApplyHostMemoryLimit(sweeps::HostMemoryMib(cfg));
    return Train(cfg, outputs, ranked, phase);
  } catch (const c10::OutOfMemoryError& e) {
    return Fail(
        ranked, phase,
        OomEvent(phase.name, e.what_without_backtrace(), phase.budget_bytes, phase.memory.get()),
        protocol::kExitOom);
  } catch (const std::bad_alloc& e) {  // host memory (CPU trials, pinned buffers)
    return Fail(ranked, phase,
                OomEvent(phase.name, std::string("host allocation failed: ") + e.what(),
                         phase.budget_bytes, phase.memory.get()),
                protocol::kExitOom);
  } catch (const std::invalid_argument& e) {
    return Fail(ranked, phase, ErrorEvent(phase.name, e.what()), protocol::kExitConfig);
  } catch (const dist::CommError& e) {
    return Fail(ranked, phase,
                ErrorEvent(phase.name, std::string("communication failed: ") + e.what()),
                protocol::kExitFailed);
  } catch (const c10::Error& e) {
    if (IsHostAllocationFailure(e)) {  // a CPU tensor past hardware.host_memory_mib (or RAM)
      return Fail(
          ranked, phase,
          OomEvent(phase.name, e.what_without_backtrace(), phase.budget_bytes, phase.memory.get()),
          protocol::kExitOom);
    }
    return Fail(ranked, phase, ErrorEvent(phase.name, e.what_without_backtrace()),
                protocol::kExitFailed);
  } catch (const std::exception& e) {
    return Fail(ranked, phase, ErrorEvent(phase.name, e.what()), protocol::kExitFailed);
  }
}

}  // namespace

int RunTrial(const sweeps::TrialConfig& cfg, EventSink& sink, const TrialOutputs& outputs) {
  Phase phase;
  RankSink ranked(sink, phase);
  try {
    return RunAndReport(cfg, outputs, ranked, phase);
  } catch (const std::exception& e) {
    // Reporting a failure failed (an exception inside a handler): still one error event, with the
    // phase, so that the record says more than an exit status.
    ranked.Emit(ErrorEvent(phase.name,
                           std::string("the trial failed, and reporting it failed: ") + e.what()));
    return protocol::kExitFailed;
  }
}

}  // namespace qlsweep::trainer
