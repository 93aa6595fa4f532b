// Running gnuplot as a child process on the scripts the report writes.
#pragma once

#include <string>

namespace qlsweep::analysis {

// The path of `program`: itself when it names a path (contains '/') and is executable, else the
// first executable match in $PATH; "" when there is none.
std::string FindProgram(const std::string& program);

// Whether this gnuplot has the terminal `name` ("pngcairo"): `gnuplot -e "set terminal NAME"`
// exits 0.
bool GnuplotHasTerminal(const std::string& gnuplot, const std::string& name);

// Runs `gnuplot SCRIPT` in `dir` (so the script's relative file names are in `dir`), its output
// going to `dir`/`log_name`. Returns "" on success, else what went wrong: the exit status and the
// log's text (gnuplot names the script line at fault).
std::string RunGnuplot(const std::string& gnuplot, const std::string& dir,
                       const std::string& script, const std::string& log_name);

}  // namespace qlsweep::analysis
