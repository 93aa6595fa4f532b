// One plot of the report: the gnuplot commands that draw it and the data file they read.
#pragma once

#include <string>

namespace qlsweep::analysis {

struct PlotFile {
  std::string stem;   // file names: <stem>.gp, <stem>.dat, <stem>.svg, <stem>.png
  std::string title;  // caption in index.html
  std::string body;   // set commands and one plot command reading '<stem>.dat'
  std::string data;   // the data file: whitespace-separated columns, blocks split by 2 blank lines
  int height = 560;   // pixels (the width is 900); small multiples are taller
};

}  // namespace qlsweep::analysis
