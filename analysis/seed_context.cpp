// Lookups and cells shared by the seed report's sections, and quality against full fine-tuning.
#include <cmath>
#include <cstdio>

#include "analysis/repeat_groups.h"
#include "analysis/seed_sections.h"
#include "analysis/trial_values.h"
#include "protocol/result_keys.h"

namespace qlsweep::analysis {
namespace {

namespace result = protocol::result;
constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

std::string Printf(const char* fmt, double value) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), fmt, value);
  return buf;
}

}  // namespace

std::vector<const storage::TrialRow*> SeedContext::Seeds(SeedPart part,
                                                         const std::string& name) const {
  std::vector<const storage::TrialRow*> seeds;
  const auto it = in.trials.find(part);
  if (it == in.trials.end()) return seeds;
  for (const auto& t : it->second) {
    if (ConfigurationName(t.name) == name) seeds.push_back(&t);
  }
  return seeds;
}

const storage::TrialRow* SeedContext::Trial(SeedPart part, const std::string& name) const {
  const auto seeds = Seeds(part, name);
  return seeds.empty() ? nullptr : seeds.front();
}

std::string SeedContext::WhyMissing(SeedPart part) const {
  if (const auto it = in.trials.find(part); it != in.trials.end() && !it->second.empty()) {
    return "";
  }
  if (const auto it = in.skipped.find(part); it != in.skipped.end()) return it->second;
  return "sweep " + SeedPartSweep(part, in.quick) + " has no recorded trials";
}

std::string SeedContext::NoTrial(SeedPart part, const std::string& name) const {
  const std::string missing = WhyMissing(part);
  return missing.empty() ? "no trial '" + name + "' in sweep " + SeedPartSweep(part, in.quick)
                         : missing;
}

std::string SeedContext::Not7bOnGpu(const storage::TrialRow* t) const {
  if (t == nullptr) return "no trial";
  if (Param(*t, "model.preset") != "llama2-7b") {
    return "ran the " + Param(*t, "model.preset") + " model" + (in.quick ? " (--quick)" : "") +
           "; the claim is about Llama-2-7B";
  }
  if (Param(*t, "hardware.device") != "cuda") return "ran on the CPU: no GPU memory to measure";
  return "";
}

std::string SeedContext::NotRealModel(const storage::TrialRow* t) const {
  if (t == nullptr) return "no trial";
  if (Param(*t, "model.weights").empty()) {
    return "random weights of the " + Param(*t, "model.preset") + " preset" +
           (in.quick ? " (--quick)" : "") + ": quality needs a real model and text";
  }
  return "";
}

ClaimVerdict SeedContext::Unless(const std::string& why, const ClaimVerdict& verdict) {
  return why.empty() ? verdict : CannotCheck(why);
}

std::optional<double> DoneResult(const storage::TrialRow* t, std::string_view key) {
  if (t == nullptr || t->status != protocol::TrialStatus::kDone) return std::nullopt;
  return Result(*t, key);
}

std::optional<double> ActivationBytes(const storage::TrialRow* t) {
  const auto peak = DoneResult(t, result::kPeakAllocBytes);
  const auto start = DoneResult(t, result::kStartedAllocBytes);
  if (!peak || !start) return std::nullopt;
  return *peak - *start;
}

std::optional<protocol::TrialStatus> StatusOf(const storage::TrialRow* t) {
  if (t == nullptr) return std::nullopt;
  return t->status;
}

std::optional<Sampled> SampleOf(const std::vector<const storage::TrialRow*>& seeds,
                                std::string_view key) {
  std::vector<double> values;
  for (const auto* t : seeds) {
    if (const auto v = DoneResult(t, key)) values.push_back(*v);
  }
  if (values.empty()) return std::nullopt;
  Sampled s;
  s.n = static_cast<int>(values.size());
  for (double v : values) s.mean += v;
  s.mean /= s.n;
  if (s.n >= 2) {
    double squares = 0;
    for (double v : values) squares += (v - s.mean) * (v - s.mean);
    s.se = std::sqrt(squares / (s.n - 1)) / std::sqrt(static_cast<double>(s.n));
  }
  return s;
}

std::string GiBCell(std::optional<double> bytes) {
  return bytes ? Printf("%.2f", *bytes / kGiB) : "-";
}

std::string NumberCell(const char* fmt, std::optional<double> value) {
  return value ? Printf(fmt, *value) : "-";
}

std::string SampledCell(const char* fmt, const std::optional<Sampled>& s, double scale) {
  if (!s) return "-";
  std::string text = Printf(fmt, s->mean * scale);
  if (s->se) text += " +- " + Printf(fmt, s->Noise() * scale);
  return text + " (" + std::to_string(s->n) + ")";
}

std::string OutcomeCell(const storage::TrialRow* t) {
  if (t == nullptr) return "not run";
  std::string text = StatusLabel(*t);
  if (t->status == protocol::TrialStatus::kFailed && !t->error.empty()) {
    text += ": " + t->error.substr(0, 80);
  }
  return text;
}

std::string ParamCell(const storage::TrialRow* t, const std::string& key) {
  if (t == nullptr) return "-";
  const std::string value = Param(*t, key);
  return value.empty() ? "-" : value;
}

void AddClaim(SeedSection& section, const std::string& claim, const ClaimVerdict& verdict) {
  section.claims.push_back({claim, verdict});
}

std::optional<Sampled> QualityVsFullFt(const SeedContext& c,
                                       const std::vector<const storage::TrialRow*>& seeds,
                                       std::string* why) {
  if (seeds.empty()) {
    *why = "no trial";
    return std::nullopt;
  }
  if (const auto missing = c.WhyMissing(SeedPart::kFullFt); !missing.empty()) {
    *why = "no full fine-tuning reference: " + missing;
    return std::nullopt;
  }
  const std::string seq = Param(*seeds.front(), "data.seq_len");
  std::vector<const storage::TrialRow*> reference;
  for (const auto& t : c.in.trials.at(SeedPart::kFullFt)) {
    if (Param(t, "data.seq_len") == seq) reference.push_back(&t);
  }
  const auto base = SampleOf(reference, result::kBaseEvalLoss);
  const auto full = SampleOf(reference, result::kFinalEvalLoss);
  if (!base || !full) {
    *why = "no finished full fine-tuning trial at seq " + seq;
    return std::nullopt;
  }
  return QualityFrom(*base, *full, SampleOf(seeds, result::kFinalEvalLoss),
                     "full fine-tuning at seq " + seq, why);
}

std::optional<Sampled> QualityFrom(const Sampled& base, const Sampled& reference,
                                   const std::optional<Sampled>& trial,
                                   const std::string& reference_label, std::string* why) {
  const double gain = base.mean - reference.mean;
  if (gain <= 0) {
    *why = reference_label + " did not improve on the base model";
    return std::nullopt;
  }
  if (!trial) {
    *why = "no finished trial";
    return std::nullopt;
  }
  Sampled q;
  q.n = trial->n;
  q.mean = (base.mean - trial->mean) / gain;
  if (trial->se && base.se && reference.se) {
    const double dt = *trial->se / gain, dr = q.mean * *reference.se / gain,
                 db = (1 - q.mean) * *base.se / gain;
    q.se = std::sqrt(dt * dt + dr * dr + db * db);
  }
  return q;
}

}  // namespace qlsweep::analysis
