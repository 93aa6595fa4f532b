// Rendering of the report page: plain HTML with a little CSS, no scripts, images by reference.
#include "analysis/report_html.h"

namespace qlsweep::analysis {
namespace {

constexpr const char* kStyle =
    R"(body { font-family: sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; white-space: nowrap; }
th { background: #f0f0f0; } td:first-child, td:nth-child(2) { text-align: left; }
figure { margin: 1em 0 2em; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption, .note { color: #555; } .error { color: #a00; white-space: pre-wrap; }
p.note { white-space: pre-line; }
)";

}  // namespace

std::string HtmlTable(const TextTable& t) {
  std::string out = "<table>\n<tr>";
  for (const auto& h : t.headers) out += "<th>" + HtmlEscape(h) + "</th>";
  out += "</tr>\n";
  for (const auto& row : t.rows) {
    out += "<tr>";
    for (const auto& cell : row) out += "<td>" + HtmlEscape(cell) + "</td>";
    out += "</tr>\n";
  }
  return out + "</table>\n";
}

std::string HtmlEscape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string ReportHtml(const SweepAnalysis& a, const std::vector<std::string>& summary,
                       const std::vector<ReportPlot>& plots, const std::string& plot_error,
                       const std::vector<ReportTable>& tables) {
  const std::string name = HtmlEscape(a.sweep.name);
  std::string out = "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<title>qlsweep report: " + name + "</title>\n<style>\n" + kStyle + "</style>\n";
  out += "</head>\n<body>\n<h1>Sweep " + name + "</h1>\n<ul>\n";
  for (const auto& line : summary) out += "<li>" + HtmlEscape(line) + "</li>\n";
  out += "</ul>\n<h2>Plots</h2>\n";
  if (!plot_error.empty()) out += "<p class=\"error\">" + HtmlEscape(plot_error) + "</p>\n";
  for (const auto& p : plots) {
    const std::string svg = "plots/" + HtmlEscape(p.stem) + ".svg";
    out += "<figure>\n<img src=\"" + svg + "\" alt=\"" + HtmlEscape(p.title) + "\">\n";
    out += "<figcaption>" + HtmlEscape(p.title) + " (<a href=\"" + svg + "\">SVG</a>";
    if (p.png) out += ", <a href=\"plots/" + HtmlEscape(p.stem) + ".png\">PNG</a>";
    out += ", <a href=\"plots/" + HtmlEscape(p.stem) + ".gp\">gnuplot script</a>)</figcaption>\n";
    out += "</figure>\n";
  }
  for (const auto& t : tables) {
    out += "<h2>" + HtmlEscape(t.title) + "</h2>\n";
    if (!t.note.empty()) out += "<p class=\"note\">" + HtmlEscape(t.note) + "</p>\n";
    out += HtmlTable(t.table);
    const std::string stem = "tables/" + HtmlEscape(t.file_stem);
    out += "<p class=\"note\"><a href=\"" + stem + ".md\">markdown</a>, <a href=\"" + stem +
           ".csv\">CSV</a></p>\n";
  }
  return out + "</body>\n</html>\n";
}

}  // namespace qlsweep::analysis
