// Assembles the report: which tables and plots a sweep gets, the files, and gnuplot's runs.
#include "analysis/report.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>

#include "analysis/fit_answer.h"
#include "analysis/gnuplot_run.h"
#include "analysis/gnuplot_script.h"
#include "analysis/loss_plot.h"
#include "analysis/memory_plots.h"
#include "analysis/memory_units.h"
#include "analysis/report_html.h"
#include "analysis/tradeoff_tables.h"
#include "analysis/trial_table.h"
#include "protocol/trial_status.h"

namespace qlsweep::analysis {
namespace {

namespace fs = std::filesystem;

// Writes `text` to out_dir/relative and records it in `outcome`.
void WriteFile(const fs::path& out_dir, const std::string& relative, const std::string& text,
               ReportOutcome* outcome) {
  const fs::path path = out_dir / relative;
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << text;
  file.close();
  if (!file) throw std::runtime_error("cannot write " + path.string());
  outcome->files.push_back(relative);
}

std::string TableNote(const SweepAnalysis& a, const TradeoffKey& key) {
  if (key.layout == TradeoffLayout::kSeqLen) {
    return "activation memory: peak allocated during training minus allocated once the model "
           "was loaded (activations, LoRA gradients, temporaries); total: peak memory in use, "
           "CUDA context included.";
  }
  if (key.layout == TradeoffLayout::kBatch) {
    return "s per effective batch: micro-batch x accumulation x seq_len tokens at the measured "
           "tokens/s; time vs fastest: relative to the fastest trial of the table.";
  }
  if (a.yardstick) {
    return "quality = (L_base - L_trial) / (L_base - L_ref), reference '" + a.yardstick->reference +
           "'; pareto: on the memory vs quality and/or memory vs speed front.";
  }
  return "quality: none (" + a.no_quality_reason + ").";
}

std::vector<ReportTable> Tables(const SweepAnalysis& a) {
  std::vector<ReportTable> tables;
  tables.push_back({"All trials", "Every recorded figure of each trial, in planning order.",
                    "trials", TrialTable(a.seed_trials.empty() ? a.trials : a.seed_trials)});
  for (const auto& key : TradeoffKeysFor(a)) {
    const std::string stem = key.layout == TradeoffLayout::kQuality ? "memory-vs-quality"
                             : key.layout == TradeoffLayout::kBatch ? "by-batch"
                                                                    : "by-" + key.key;
    auto table = TradeoffTable(a, key);
    std::string note = TableNote(a, key);
    for (const auto& noise : NoiseNotes(a, table)) note += "\n\nnoise: " + noise;
    tables.push_back({TradeoffTitle(key), note, stem, std::move(table)});
  }
  tables.push_back({"Pareto front: memory vs quality",
                    "Finished trials that no other trial beats on both peak memory and eval loss.",
                    "pareto-quality", ParetoTable(a, true)});
  tables.push_back({"Pareto front: memory vs speed",
                    "Finished trials that no other trial beats on both peak memory and tokens/s.",
                    "pareto-speed", ParetoTable(a, false)});
  return tables;
}

std::vector<PlotFile> Plots(const SweepAnalysis& a, const std::vector<TrialSeries>& series) {
  std::vector<PlotFile> plots;
  for (const auto& key : NumericVaryingKeys(a)) plots.push_back(MemoryByKeyPlot(a, key));
  if (auto p = MemoryQualityPlot(a)) plots.push_back(std::move(*p));
  if (auto p = SpeedMemoryPlot(a)) plots.push_back(std::move(*p));
  if (auto p = LossCurvesPlot(a, series)) plots.push_back(std::move(*p));
  return plots;
}

std::vector<std::string> Summary(const SweepAnalysis& a) {
  std::map<protocol::TrialStatus, int> statuses;  // in the protocol's order: done before oom
  for (const auto& t : a.trials) ++statuses[t.status];
  std::string counts = std::to_string(a.trials.size()) + " trial(s):";
  for (const auto& [status, n] : statuses) {
    counts += (counts.back() == ':' ? " " : ", ") + std::to_string(n) + " " +
              std::string(protocol::ToString(status));
  }
  std::vector<std::string> lines = {counts};
  if (const auto fit = FitAnswerOf(a.sweep, a.trials)) lines.push_back("fit: " + fit->text);
  if (!a.sweep.file.empty()) lines.push_back("sweep file: " + a.sweep.file);
  const auto* profile = sweeps::FindGpuProfile(a.sweep.gpu_profile);
  lines.push_back(profile == nullptr
                      ? "GPU profile: none (fits? is judged only for trials that set one)"
                      : "GPU profile: " + profile->name + " (" +
                            GroupedInteger(static_cast<double>(profile->memory_bytes) / kMiB) +
                            " MiB); fits? compares each trial's peak memory in use with it");
  lines.push_back(a.yardstick ? "quality reference: " + a.yardstick->reference +
                                    " (quality 1 = its eval-loss improvement over the base model)"
                              : "quality: none (" + a.no_quality_reason + ")");
  lines.push_back("definitions of every column: docs/analysis.md in the qlsweep repository");
  return lines;
}

std::string ReportMarkdown(const SweepAnalysis& a, const std::vector<std::string>& summary,
                           const std::vector<ReportPlot>& plots, const std::string& plot_error,
                           const std::vector<ReportTable>& tables) {
  std::string md = "# Sweep " + a.sweep.name + "\n\n";
  for (const auto& line : summary) md += "- " + line + "\n";
  md += "\n## Plots\n\n";
  if (!plot_error.empty()) md += "Plots were not drawn: " + plot_error + "\n\n";
  for (const auto& p : plots) {
    md += "![" + p.title + "](plots/" + p.stem + (p.png ? ".png" : ".svg") + ")\n\n";
  }
  for (const auto& t : tables) {
    md += "## " + t.title + "\n\n" + (t.note.empty() ? "" : t.note + "\n\n");
    md += Render(t.table, TableFormat::kMarkdown) + "\n";
  }
  return md;
}

}  // namespace

ReportOutcome WriteReport(const SweepAnalysis& a, const ReportOptions& options) {
  const fs::path out(options.out_dir);
  fs::create_directories(out / "tables");
  fs::create_directories(out / "plots");
  ReportOutcome outcome;

  const auto tables = Tables(a);
  for (const auto& t : tables) {
    WriteFile(out, "tables/" + t.file_stem + ".md", Render(t.table, TableFormat::kMarkdown),
              &outcome);
    WriteFile(out, "tables/" + t.file_stem + ".csv", Render(t.table, TableFormat::kCsv), &outcome);
  }

  const auto series = ReadTrialSeries(a, options.series_dir, &outcome.warnings);
  const auto plot_files = Plots(a, series);
  const std::string gnuplot = FindProgram(options.gnuplot);
  const bool png = !gnuplot.empty() && GnuplotHasTerminal(gnuplot, "pngcairo");
  std::vector<ReportPlot> drawn;
  for (const auto& p : plot_files) {
    WriteFile(out, "plots/" + p.stem + ".dat", p.data, &outcome);
    WriteFile(out, "plots/" + p.stem + ".gp", ScriptForOutputs(p.stem, p.body, png, p.height),
              &outcome);
    if (gnuplot.empty()) continue;
    const std::string error =
        RunGnuplot(gnuplot, (out / "plots").string(), p.stem + ".gp", p.stem + ".log");
    if (!error.empty()) {
      outcome.plot_error += error + "\n";
      continue;
    }
    fs::remove(out / "plots" / (p.stem + ".log"));
    drawn.push_back({p.stem, p.title, png});
    outcome.files.push_back("plots/" + p.stem + ".svg");
    if (png) outcome.files.push_back("plots/" + p.stem + ".png");
  }
  if (gnuplot.empty()) {
    outcome.plot_error = "gnuplot not found (looked for '" + options.gnuplot +
                         "'); install it (Debian: apt-get install gnuplot-nox) or pass --gnuplot "
                         "PATH. The tables and the plot scripts (plots/*.gp) were written; "
                         "`gnuplot NAME.gp` in plots/ draws them.";
  }

  const auto summary = Summary(a);
  WriteFile(out, "report.md", ReportMarkdown(a, summary, drawn, outcome.plot_error, tables),
            &outcome);
  WriteFile(out, "index.html", ReportHtml(a, summary, drawn, outcome.plot_error, tables), &outcome);
  return outcome;
}

}  // namespace qlsweep::analysis
