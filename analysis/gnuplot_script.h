// Pieces of the gnuplot scripts the report writes: quoting, the shared look, the output files.
#pragma once

#include <string>
#include <vector>

namespace qlsweep::analysis {

// A gnuplot string literal in single quotes (a quote inside is doubled): 'it''s'.
std::string GnuplotQuote(const std::string& text);

// A string field of a gnuplot data file, in double quotes (double quotes inside become single).
std::string DataFieldQuote(const std::string& text);

// The settings every plot shares: ten distinct line colours (linetypes 1-10, cycling), a light
// grid, tics outside on the left and bottom axes only, the key outside on the right. (Text is
// not "enhanced", so "seq_len" keeps its underscore: the terminals are set `noenhanced`.)
std::string CommonSettings();

// The whole script for plot `stem`: an SVG (`stem`.svg, 900 x `height`) and, when `png` is set, a
// PNG of the same size through pngcairo (`stem`.png), both drawn by `body` (set commands, then one
// plot command, or a `set multiplot` ... `unset multiplot` block, which is drawn again for the PNG
// since gnuplot cannot replot it).
std::string ScriptForOutputs(const std::string& stem, const std::string& body, bool png,
                             int height = 560);

// "set xtics (4, 8, 16)": one tic at each value, for axes with few distinct values.
std::string XticsAt(const std::vector<double>& values);

}  // namespace qlsweep::analysis
