// Sweep expansion: base x points x axes, minus excludes, plus includes -> resolved, named trials.
#include "sweeps/expand.h"

#include <limits>
#include <map>
#include <optional>

#include "sweeps/host_memory.h"
#include "sweeps/overrides.h"
#include "sweeps/resolve.h"
#include "sweeps/suggest.h"
#include "sweeps/value_text.h"

namespace qlsweep::sweeps {
namespace {

constexpr const char* kSeedKey = "train.seed";

// A resolved trial before merging, with where it came from.
struct Candidate {
  TrialConfig trial;
  int line = 0;  // line of the point or include entry it came from; 0 for plain grid trials
};

// "key=value,..." of `assignments`; with `full_method`, without the lora.* keys that a full
// fine-tuning trial ignores (sweeps/cross_rules.h: ResetIgnoredKeys).
std::string Label(const Assignments& assignments, bool full_method = false) {
  std::string out;
  for (const auto& a : assignments) {
    if (full_method && a.key.rfind("lora.", 0) == 0) continue;
    out += (out.empty() ? "" : ",") + a.key + "=" + ValueText(a.value);
  }
  return out;
}

std::string Join(const std::string& a, const std::string& b) {
  return a.empty() ? b : b.empty() ? a : a + "," + b;
}

bool Matches(const ExcludeRule& rule, const TrialConfig& trial) {
  for (const auto& [key, alternatives] : rule.keys) {
    const auto& value = ResolvedValue(trial.resolved, key);
    bool any = false;
    for (const auto& alternative : alternatives) any = any || alternative == value;
    if (!any) return false;
  }
  return true;
}

class Expander {
 public:
  Expander(const SweepSpec& spec, const std::string& file, std::vector<ConfigIssue>& issues)
      : spec_(spec), file_(file), issues_(issues) {}

  Expansion Run() {
    const size_t issues_before = issues_.size();
    CheckPointsAgainstAxes();
    CheckRepeat();
    if (!CheckFitShape()) return {};
    if (!CheckSize()) return {};
    std::vector<Candidate> generated = Generate();
    std::vector<size_t> hits(spec_.excludes.size(), 0);
    std::vector<Candidate> kept;
    for (auto& candidate : generated) {
      bool excluded = false;
      for (size_t r = 0; r < spec_.excludes.size(); ++r) {
        if (Matches(spec_.excludes[r], candidate.trial)) {
          ++hits[r];
          excluded = true;
          excluded_by_.emplace(candidate.trial.name, spec_.excludes[r].line);
        }
      }
      if (!excluded) kept.push_back(std::move(candidate));
    }
    for (const auto& include : spec_.includes) {
      Assignments set = Prefix();
      set.insert(set.end(), include.set.begin(), include.set.end());
      std::string name = include.name.empty() ? Label(include.set) : include.name;
      if (auto trial = Resolve(set, name))
        kept.push_back(Candidate{std::move(*trial), include.line});
    }
    const bool clean = issues_.size() == issues_before;
    for (size_t r = 0; r < spec_.excludes.size() && clean; ++r) {
      if (hits[r] == 0 && spec_.lenient) {
        out_.notes.push_back("the exclude entry at line " + std::to_string(spec_.excludes[r].line) +
                             " matches no trial after the overrides; ignored");
      } else if (hits[r] == 0) {
        Issue(spec_.excludes[r].line, "exclude", "this entry matches no trial; check its values");
      }
    }
    Merge(std::move(kept), out_);
    if (out_.trials.empty() && clean && !spec_.excludes.empty()) {
      Issue(spec_.excludes.front().line, "exclude", "every trial is excluded; nothing would run");
    }
    out_.reference = ResolveReference(out_);
    if (spec_.repeat > 1) Repeat();
    if (spec_.search.kind == SearchKind::kFit && clean) CheckFitLimit();
    out_.notes.insert(out_.notes.begin(), spec_.notes.begin(), spec_.notes.end());
    return std::move(out_);
  }

 private:
  void Issue(int line, const std::string& key, std::string message) {
    issues_.push_back(ConfigIssue{file_, line, key, std::move(message)});
  }

  void CheckPointsAgainstAxes() {
    std::map<std::string, int> axis_lines;
    for (const auto& axis : spec_.axes) {
      for (const auto& key : axis.keys) axis_lines.emplace(key, axis.line);
    }
    for (const auto& point : spec_.points) {
      for (const auto& a : point.set) {
        if (auto it = axis_lines.find(a.key); it != axis_lines.end()) {
          Issue(a.line, a.key,
                "point '" + point.name + "' sets a key that is varied at line " +
                    std::to_string(it->second) + "; a point may not set an axis key");
        }
      }
    }
  }

  void CheckRepeat() {
    if (spec_.repeat <= 1) return;
    for (const auto& axis : spec_.axes) {
      for (const auto& key : axis.keys) {
        if (key == kSeedKey) {
          Issue(axis.line, key,
                "varied here while `repeat: " + std::to_string(spec_.repeat) +
                    "` varies it too; keep one of them");
        }
      }
    }
  }

  // A fit search varies its key alone. The file's own grid, points, ... are reported where they
  // are written (sweep_spec.cpp); this catches what command-line overrides add or take away.
  bool CheckFitShape() {
    if (spec_.search.kind != SearchKind::kFit || spec_.search.key.empty() || !spec_.lenient) {
      return true;
    }
    const bool alone = spec_.axes.size() == 1 &&
                       spec_.axes[0].keys == std::vector<std::string>{spec_.search.key} &&
                       spec_.points.empty() && spec_.includes.empty() && spec_.repeat == 1;
    if (alone) return true;
    issues_.push_back(ConfigIssue{kCommandLine, 0, spec_.search.key,
                                  "a fit search varies " + spec_.search.key +
                                      " alone; an override may not set it, vary another key "
                                      "(-m) or set repeat"});
    return false;
  }

  // A fit search needs a memory to fit into: a GPU profile, or a CPU trial's host limit.
  void CheckFitLimit() {
    if (out_.trials.empty()) return;
    const auto& trial = out_.trials.front();
    if (!trial.hardware.gpu_profile.empty() || HostMemoryMib(trial) > 0) return;
    Issue(spec_.search.line, "search",
          "a fit search needs a memory to fit into: `gpu_profile:` (a CUDA card's memory) or "
          "hardware.host_memory_mib in `base:` (a CPU trial's memory)");
  }

  // Every trial K times, seeds s..s+K-1; then merged again (an include may equal a repeat).
  void Repeat() {
    std::vector<Candidate> repeated;
    std::string reference;
    for (const auto& trial : out_.trials) {
      const int64_t seed = trial.train.seed;
      for (int k = 0; k < spec_.repeat; ++k) {
        if (seed + k > std::numeric_limits<int>::max()) {
          Issue(spec_.repeat_line, "repeat",
                "trial '" + trial.name + "': its seeds would pass the largest train.seed");
          return;
        }
        nlohmann::json resolved = trial.resolved;
        resolved["train"]["seed"] = seed + k;
        const std::string name = trial.name + "," + kSeedKey + "=" + std::to_string(seed + k);
        if (k == 0 && trial.name == out_.reference) reference = name;
        repeated.push_back(Candidate{TrialFromResolved(resolved, name), 0});
      }
    }
    out_.trials.clear();
    Merge(std::move(repeated), out_);
    out_.reference = reference;
  }

  bool CheckSize() {
    size_t total =
        std::max<size_t>(1, spec_.points.size()) * static_cast<size_t>(std::max(1, spec_.repeat));
    for (const auto& axis : spec_.axes) {
      total *= axis.positions.size();
      if (total > kMaxTrials) {
        Issue(axis.line, axis.keys.front(),
              "the sweep expands to more than " + std::to_string(kMaxTrials) +
                  " trials; split it into several sweeps");
        return false;
      }
    }
    return true;
  }

  // The lowest layer under every trial: the sweep's gpu_profile, then its base.
  Assignments Prefix() const {
    Assignments out;
    if (!spec_.gpu_profile.empty()) {
      out.push_back(Assignment{"hardware.gpu_profile", spec_.gpu_profile, spec_.gpu_profile_line,
                               "/gpu_profile"});
    }
    out.insert(out.end(), spec_.base.begin(), spec_.base.end());
    return out;
  }

  std::optional<TrialConfig> Resolve(const Assignments& set, const std::string& name) {
    attempted_names_.push_back(name);
    auto trial = ResolveAssignments(set, file_, name, issues_);
    if (trial) trial->name = name;
    if (!trial) failed_names_.push_back(name);
    return trial;
  }

  // Every point (or the base alone) crossed with every combination of axis positions, the last
  // axis varying fastest.
  std::vector<Candidate> Generate() {
    std::vector<const NamedSet*> points;
    for (const auto& point : spec_.points) points.push_back(&point);
    if (points.empty()) points.push_back(nullptr);
    std::vector<Candidate> out;
    for (const NamedSet* point : points) {
      std::vector<size_t> index(spec_.axes.size(), 0);
      while (true) {
        Assignments set = Prefix();
        std::string name = point ? point->name : "";
        std::string full_name = name;  // the name without the lora.* keys a full trial ignores
        if (point) set.insert(set.end(), point->set.begin(), point->set.end());
        for (size_t a = 0; a < spec_.axes.size(); ++a) {
          const Assignments& position = spec_.axes[a].positions[index[a]];
          set.insert(set.end(), position.begin(), position.end());
          name = Join(name, Label(position));
          full_name = Join(full_name, Label(position, true));
        }
        if (name.empty()) name = "base";
        if (full_name.empty()) full_name = "base";
        if (auto trial = Resolve(set, name)) {
          if (trial->train.method == "full") trial->name = full_name;
          out.push_back(Candidate{std::move(*trial), point ? point->line : 0});
        }
        size_t a = spec_.axes.size();
        while (a > 0 && ++index[a - 1] == spec_.axes[a - 1].positions.size()) index[--a] = 0;
        if (a == 0) break;
      }
    }
    return out;
  }

  // Keeps the first trial of each id; later ones with the same config are merged into it.
  void Merge(std::vector<Candidate> candidates, Expansion& out) {
    std::map<std::string, size_t> by_id;
    std::map<std::string, int> name_lines;
    for (auto& candidate : candidates) {
      auto [it, inserted] = by_id.emplace(candidate.trial.id, out.trials.size());
      if (!inserted) {
        merged_into_[candidate.trial.name] = out.trials[it->second].name;
        continue;
      }
      auto [name_it, fresh] = name_lines.emplace(candidate.trial.name, candidate.line);
      if (!fresh) {
        Issue(candidate.line, "name",
              "two different trials are named '" + candidate.trial.name + "'" +
                  (name_it->second > 0
                       ? " (the other at line " + std::to_string(name_it->second) + ")"
                       : ""));
      }
      out.trials.push_back(std::move(candidate.trial));
    }
  }

  std::string ResolveReference(Expansion& out) {
    if (spec_.reference.empty()) return "";
    for (const auto& trial : out.trials) {
      if (trial.name == spec_.reference) return spec_.reference;
    }
    if (auto it = merged_into_.find(spec_.reference); it != merged_into_.end()) return it->second;
    for (const auto& name : failed_names_) {
      if (name == spec_.reference) return spec_.reference;  // that trial has its own issue
    }
    if (spec_.lenient) {
      out.notes.push_back("reference '" + spec_.reference +
                          "' names no trial after the overrides: no quality scores (set one with "
                          "reference=NAME)");
      return "";
    }
    if (auto it = excluded_by_.find(spec_.reference); it != excluded_by_.end()) {
      Issue(spec_.reference_line, "reference",
            "'" + spec_.reference + "' is dropped by the exclude entry at line " +
                std::to_string(it->second));
      return "";
    }
    for (const auto& trial : out.trials) {
      if (trial.name.rfind(spec_.reference + ",", 0) == 0) {
        Issue(spec_.reference_line, "reference",
              "'" + spec_.reference +
                  "' is a point crossed with the axes; name one of its trials, e.g. '" +
                  trial.name + "'");
        return "";
      }
    }
    Issue(spec_.reference_line, "reference",
          "'" + spec_.reference + "' names no trial of this sweep" +
              DidYouMean(spec_.reference, attempted_names_));
    return "";
  }

  const SweepSpec& spec_;
  const std::string& file_;
  std::vector<ConfigIssue>& issues_;
  std::vector<std::string> attempted_names_;        // every trial name, for hints
  std::vector<std::string> failed_names_;           // trials with issues of their own
  std::map<std::string, int> excluded_by_;          // excluded trial name -> exclude line
  std::map<std::string, std::string> merged_into_;  // merged-away name -> surviving name
  Expansion out_;
};

}  // namespace

Expansion ExpandSweep(const SweepSpec& spec, const std::string& file,
                      std::vector<ConfigIssue>& issues) {
  return Expander(spec, file, issues).Run();
}

}  // namespace qlsweep::sweeps
