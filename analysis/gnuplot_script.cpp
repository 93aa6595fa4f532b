// Text of gnuplot scripts: literals, shared settings, and the SVG/PNG output wrapper.
#include "analysis/gnuplot_script.h"

#include <cstdio>
#include <string>

namespace qlsweep::analysis {

std::string GnuplotQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c == '\n' ? ' ' : c;
  }
  return out + "'";
}

std::string DataFieldQuote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) out += c == '"' ? '\'' : c == '\n' ? ' ' : c;
  return out + "\"";
}

std::string CommonSettings() {
  // The ten "tab10" colours (matplotlib's default cycle): distinct on white and in grey.
  static const char* kColours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                   "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  std::string out;
  for (int i = 0; i < 10; ++i) {
    out += "set linetype " + std::to_string(i + 1) + " lc rgb '" + kColours[i] + "' lw 2 pt 7\n";
  }
  out += "set linetype cycle 10\n";
  return out +
         "set grid lc rgb '#d8d8d8' lt 1 lw 1\n"
         "set border 3 lc rgb '#404040'\n"
         "set tics nomirror out\n"
         "set key outside right top Left reverse box lc rgb '#c0c0c0' width 1\n"
         "set datafile missing 'NaN'\n";
}

std::string ScriptForOutputs(const std::string& stem, const std::string& body, bool png,
                             int height) {
  const std::string size = "size 900," + std::to_string(height);
  std::string script = "# Written by qlsweep report; re-run with: gnuplot " + stem + ".gp\n";
  script +=
      "set terminal svg " + size + " dynamic noenhanced font 'sans,13' background '#ffffff'\n";
  script += "set output " + GnuplotQuote(stem + ".svg") + "\n";
  script += CommonSettings() + body;
  if (png) {
    script += "set terminal pngcairo " + size + " noenhanced font 'sans,11' background '#ffffff'\n";
    script += "set output " + GnuplotQuote(stem + ".png") + "\n";
    const bool multiplot = body.find("set multiplot") != std::string::npos;
    script += multiplot ? body : "replot\n";
  }
  return script + "unset output\n";
}

std::string XticsAt(const std::vector<double>& values) {
  std::string out = "set xtics (";
  for (size_t i = 0; i < values.size(); ++i) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%g", values[i]);
    out += (i ? ", " : "") + std::string(buf);
  }
  return out + ")\n";
}

}  // namespace qlsweep::analysis
