// The seed report's memory sections: the budget by component and the sequence-length table.
#include <algorithm>
#include <string>

#include "analysis/seed_claims.h"
#include "analysis/seed_sections.h"
#include "analysis/trial_values.h"
#include "protocol/result_keys.h"

namespace qlsweep::analysis {
namespace {

namespace result = protocol::result;

// The budget's rows, estimated or measured (bytes).
struct Budget {
  std::optional<double> weights, lora, optimizer, gradients, activations, cache, context, total;
};

// Bytes per element of the adapters: fp32 on an fp32 trial (a CPU's auto), else 2.
double AdapterBytes(const storage::TrialRow& t) {
  const std::string dtype = Param(t, "hardware.dtype");
  return dtype == "fp32" || (dtype == "auto" && Param(t, "hardware.device") == "cpu") ? 4 : 2;
}

Budget Measured(const storage::TrialRow* t) {
  Budget b;
  const auto base =
      DoneResult(t, std::string(result::kStartedPrefix) + std::string(result::kBaseBytes));
  const auto trainable = DoneResult(t, result::kTrainableParams);
  const auto start = DoneResult(t, result::kStartedAllocBytes);
  const auto alloc = DoneResult(t, result::kPeakAllocBytes);
  const auto reserved = DoneResult(t, result::kPeakReservedBytes);
  const auto device = DoneResult(t, result::kDevicePeakBytes);
  b.weights = base;
  if (trainable) b.lora = *trainable * AdapterBytes(*t);
  if (start && base && b.lora) b.optimizer = std::max(0.0, *start - *base - *b.lora);
  b.activations = ActivationBytes(t);
  if (alloc && reserved) b.cache = *reserved - *alloc;
  if (reserved && device) b.context = *device - *reserved;
  b.total = device;
  return b;
}

Budget Estimated(const std::optional<MemoryEstimate>& e) {
  Budget b;
  if (!e) return b;
  b.weights = b.lora = b.optimizer = b.gradients = b.activations = 0.0;
  for (const auto& c : e->components) {
    const auto bytes = static_cast<double>(c.bytes);
    const auto& n = c.name;
    if (n.starts_with("base weights") || n.starts_with("embeddings")) {
      *b.weights += bytes;
    } else if (n == "LoRA adapters") {
      *b.lora += bytes;
    } else if (n == "LoRA gradients") {
      *b.gradients += bytes;
    } else if (n.starts_with("optimizer states")) {
      *b.optimizer += bytes;
    } else {
      *b.activations += bytes;  // saved inputs, recompute, dequantized weight, loss buffers
    }
  }
  b.cache = static_cast<double>(e->fragmentation_bytes);
  b.context = static_cast<double>(e->context_bytes);
  b.total = static_cast<double>(e->total_bytes);
  return b;
}

// The budget row of the seed's component name.
std::optional<double> Row(const Budget& b, std::string_view component) {
  if (component == "weights") return b.weights;
  if (component == "LoRA adapters") return b.lora;
  if (component == "optimizer states") return b.optimizer;
  if (component == "gradients") return b.gradients;
  if (component == "activations") return b.activations;
  if (component == "cache/buffers") return b.cache;
  return b.total;
}

std::string GbCell(std::optional<double> gb) { return NumberCell("%.2f", gb); }

}  // namespace

std::string FitsCell(const FitMeasurement& m) {
  const auto v = JudgeFits(true, m);
  if (v.verdict == SeedVerdict::kCannotCheck) return "-";
  const bool fits = v.verdict == SeedVerdict::kHolds;
  std::string text = fits ? "yes" : "no";
  if (m.held == protocol::TrialStatus::kOom) text += ", oom held";
  if (m.peak_bytes) {
    text += " (" + NumberCell("%+.2f", (m.budget_bytes - *m.peak_bytes) / (1024.0 * 1024 * 1024)) +
            " GiB)";
  }
  return text;
}

FitMeasurement FitOf(const SeedContext& c, const storage::TrialRow* whole,
                     const storage::TrialRow* held) {
  FitMeasurement m;
  m.held = StatusOf(held);
  m.peak_bytes = DoneResult(whole, result::kDevicePeakBytes);
  if (!m.peak_bytes) m.peak_bytes = DoneResult(held, result::kDevicePeakBytes);
  m.budget_bytes = static_cast<double>(c.in.profile.memory_bytes);
  m.profile = c.in.profile.name;
  return m;
}

SeedSection BudgetSection(const SeedContext& c) {
  SeedSection s;
  s.title = "Memory budget by component (Llama-2-7B, seq 2048)";
  const auto* with = c.Trial(SeedPart::kBudget, "optimised");
  const auto* without = c.Trial(SeedPart::kBudget, "unoptimised");
  s.notes = {
      "Estimated: qlsweep's memory estimator (docs/memory-estimator.md) for the Llama-2-7B shape "
      "of the GPU set's seed-budget trials, whatever ran. Measured: the trials 'optimised' (the "
      "seed's recipe: NF4 + double quant, LoRA r=16 on all projections, checkpointing, paged "
      "8-bit AdamW, bf16, micro-batch 1, seq 2048) and 'unoptimised' (16-bit base, no "
      "checkpointing, 32-bit AdamW) on the whole GPU. GiB; the seed's GB read as GiB.",
      "Measured rows: weights = the frozen base on the device (started.base_bytes); LoRA = "
      "trainable parameters x bytes per element; optimizer = allocated at the start - weights - "
      "LoRA (paged states live in managed memory, outside the allocator); activations = peak "
      "allocated - allocated at the start (LoRA gradients and loss buffers included, so the "
      "gradients row is not measured apart); cache/buffers = peak reserved - peak allocated; CUDA "
      "context = device peak - peak reserved (not in the seed's budget); total = device peak."};
  s.table.headers = {"component",    "seed without GB", "estimated without", "measured without",
                     "seed with GB", "estimated with",  "measured with",     "verdict"};
  const auto est_with = Estimated(c.in.estimate_optimised);
  const auto est_without = Estimated(c.in.estimate_unoptimised);
  const auto m_with = Measured(with), m_without = Measured(without);
  for (const auto& row : seed::kBudget) {
    const std::string name(row.component);
    const auto judge = [&](const storage::TrialRow* t, const char* trial, const Budget& m,
                           double gb) {
      if (name == "gradients" && t != nullptr && t->status == protocol::TrialStatus::kDone) {
        return CannotCheck("measured inside the activations row");
      }
      if (t == nullptr) return CannotCheck(c.NoTrial(SeedPart::kBudget, trial));
      return SeedContext::Unless(c.Not7bOnGpu(t), JudgeMemory(gb, Row(m, row.component)));
    };
    const double without_gb = row.without_gb.value_or(row.with_gb);
    const auto v_with = judge(with, "optimised", m_with, row.with_gb);
    const auto v_without = judge(without, "unoptimised", m_without, without_gb);
    AddClaim(s, name + " with the optimisations: " + NumberCell("%.2f", row.with_gb) + " GB",
             v_with);
    AddClaim(s, name + " without: " + NumberCell("%.2f", without_gb) + " GB", v_without);
    s.table.rows.push_back(
        {name, GbCell(without_gb), GiBCell(Row(est_without, row.component)),
         GiBCell(Row(m_without, row.component)), GbCell(row.with_gb),
         GiBCell(Row(est_with, row.component)), GiBCell(Row(m_with, row.component)),
         std::string(VerdictName(Combine({{"with", v_with}, {"without", v_without}}).verdict))});
  }
  s.table.rows.push_back({"CUDA context (not in the seed)", "-", GiBCell(est_without.context),
                          GiBCell(m_without.context), "-", GiBCell(est_with.context),
                          GiBCell(m_with.context), "-"});
  FitMeasurement fit = FitOf(c, with, nullptr);
  AddClaim(s, "the recipe's 5.5 GB fits the " + c.in.profile.name,
           with == nullptr ? CannotCheck(c.NoTrial(SeedPart::kBudget, "optimised"))
                           : SeedContext::Unless(c.Not7bOnGpu(with), JudgeFits(true, fit)));
  return s;
}

SeedSection SeqLenSection(const SeedContext& c) {
  SeedSection s;
  s.title = "Sequence length (Llama-2-7B, QLoRA r=16, micro-batch 1)";
  s.notes = {
      "Each length ran twice: on the whole GPU (activation memory and total measured) and held to "
      "the " +
          c.in.profile.name +
          " profile (done or oom: whether it fits the card, its CUDA "
          "context counted). fits?: the held trial's outcome when it ran, else the whole-GPU peak "
          "against the profile; the margin is the profile's memory minus the peak.",
      "Llama-2-7B's context is 4096 tokens: the trial schema refuses the seed's 8192 row for it."};
  s.table.headers = {"seq_len",        "ran (ours)", "seed activation GB", "activation GiB",
                     "seed total GB",  "total GiB",  "seed fits?",         "held to profile",
                     "fits? (margin)", "verdict"};
  for (const auto& row : seed::kSeqLen) {
    const std::string n = std::to_string(row.seq_len);
    const auto* t = c.Trial(SeedPart::kSeqLen, "seq" + n);
    const auto* held = c.Trial(SeedPart::kSeqLen, "held-seq" + n);
    const auto fit = FitOf(c, t, held);
    std::string why = c.WhyMissing(SeedPart::kSeqLen);
    if (why.empty()) {
      why = row.seq_len > 4096 ? "beyond Llama-2-7B's context of 4096 tokens" : c.Not7bOnGpu(t);
    }
    const auto verdict = SeedContext::Unless(
        why, Combine({{"activation", JudgeMemory(row.activation_gb, ActivationBytes(t))},
                      {"total", JudgeMemory(row.total_gb, DoneResult(t, result::kDevicePeakBytes))},
                      {"fits", JudgeFits(row.fits, fit)}}));
    AddClaim(s,
             "seq " + n + ": activations " + NumberCell("%.1f", row.activation_gb) + " GB, total " +
                 NumberCell("%.1f", row.total_gb) + " GB, " + (row.fits ? "fits" : "does not fit"),
             verdict);
    s.table.rows.push_back({n, ParamCell(t, "data.seq_len"), GbCell(row.activation_gb),
                            GiBCell(ActivationBytes(t)), GbCell(row.total_gb),
                            GiBCell(DoneResult(t, result::kDevicePeakBytes)),
                            row.fits ? "yes" : "no", held ? OutcomeCell(held) : "-", FitsCell(fit),
                            std::string(VerdictName(verdict.verdict))});
  }
  s.plots = {SeedPartSweep(SeedPart::kSeqLen, c.in.quick) + "/plots/memory-by-data.seq_len"};
  return s;
}

}  // namespace qlsweep::analysis
