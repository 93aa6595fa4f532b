// The seed report's pages: markdown and HTML, one heading per section, its notes, the table with
// the seed's numbers beside ours, its plots and the list of claims with their verdicts.
#include "analysis/seed_report_write.h"

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "analysis/report_html.h"

namespace qlsweep::analysis {
namespace {

namespace fs = std::filesystem;

constexpr const char* kTitle = "The seed report, reproduced and judged";

constexpr const char* kStyle =
    R"(body { font-family: sans-serif; margin: 2em auto; max-width: 1300px; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: right; }
th { background: #f0f0f0; } td:first-child { text-align: left; }
figure img { max-width: 100%; border: 1px solid #eee; } .note { color: #444; }
li.holds { color: #060; } li.does-not-hold { color: #a00; } li.cannot { color: #666; }
)";

// The plot file of `stem` under out_dir/sweeps/ that exists: .png first for markdown, .svg for
// HTML; "" when neither was drawn.
std::string PlotFile(const std::string& out_dir, const std::string& stem, bool prefer_png) {
  const char* first = prefer_png ? ".png" : ".svg";
  const char* second = prefer_png ? ".svg" : ".png";
  for (const char* ext : {first, second}) {
    const std::string relative = "sweeps/" + stem + ext;
    if (fs::exists(fs::path(out_dir) / relative)) return relative;
  }
  return "";
}

std::string CssClass(SeedVerdict v) {
  return v == SeedVerdict::kHolds         ? "holds"
         : v == SeedVerdict::kDoesNotHold ? "does-not-hold"
                                          : "cannot";
}

void Write(const fs::path& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << text;
  file.close();
  if (!file) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace

std::string SeedReportMarkdown(const SeedReport& report, const std::string& out_dir) {
  std::string md = std::string("# ") + kTitle + "\n\n";
  for (const auto& line : report.summary) md += "- " + line + "\n";
  md += "\nPer-sweep tables and plots: sweeps/<sweep>/index.html.\n";
  for (const auto& s : report.sections) {
    md += "\n## " + s.title + "\n\n";
    for (const auto& note : s.notes) md += note + "\n\n";
    md += Render(s.table, TableFormat::kMarkdown) + "\n";
    for (const auto& stem : s.plots) {
      const auto file = PlotFile(out_dir, stem, true);
      if (!file.empty()) md += "![" + stem + "](" + file + ")\n\n";
    }
    md += "Verdicts:\n\n";
    for (const auto& c : s.claims) {
      md += "- " + c.claim + ": **" + std::string(VerdictName(c.verdict.verdict)) + "**" +
            (c.verdict.reason.empty() ? "" : " (" + c.verdict.reason + ")") + "\n";
    }
  }
  return md;
}

std::string SeedReportHtml(const SeedReport& report, const std::string& out_dir) {
  std::string out = "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += std::string("<title>qlsweep: ") + kTitle + "</title>\n<style>\n" + kStyle +
         "</style>\n</head>\n<body>\n<h1>" + kTitle + "</h1>\n<ul>\n";
  for (const auto& line : report.summary) out += "<li>" + HtmlEscape(line) + "</li>\n";
  out +=
      "</ul>\n<p class=\"note\">Per-sweep tables and plots: sweeps/&lt;sweep&gt;/index.html.</p>\n";
  for (const auto& s : report.sections) {
    out += "<h2>" + HtmlEscape(s.title) + "</h2>\n";
    for (const auto& note : s.notes) out += "<p class=\"note\">" + HtmlEscape(note) + "</p>\n";
    out += HtmlTable(s.table);
    for (const auto& stem : s.plots) {
      const auto file = PlotFile(out_dir, stem, false);
      if (file.empty()) continue;
      out += "<figure><img src=\"" + HtmlEscape(file) + "\" alt=\"" + HtmlEscape(stem) +
             "\"><figcaption>" + HtmlEscape(stem) + "</figcaption></figure>\n";
    }
    out += "<p>Verdicts:</p>\n<ul>\n";
    for (const auto& c : s.claims) {
      out += "<li class=\"" + CssClass(c.verdict.verdict) + "\">" + HtmlEscape(c.claim) + ": <b>" +
             HtmlEscape(std::string(VerdictName(c.verdict.verdict))) + "</b>" +
             (c.verdict.reason.empty() ? "" : " (" + HtmlEscape(c.verdict.reason) + ")") +
             "</li>\n";
    }
    out += "</ul>\n";
  }
  return out + "</body>\n</html>\n";
}

std::vector<std::string> WriteSeedReport(const SeedReport& report, const std::string& out_dir) {
  fs::create_directories(out_dir);
  Write(fs::path(out_dir) / "report.md", SeedReportMarkdown(report, out_dir));
  Write(fs::path(out_dir) / "index.html", SeedReportHtml(report, out_dir));
  return {"report.md", "index.html"};
}

}  // namespace qlsweep::analysis
