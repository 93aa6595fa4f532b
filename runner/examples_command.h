// `qlsweep examples`: list the shipped example sweeps, print one, or copy one to edit.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace qlsweep::runner {

// One shipped example sweep (sweeps/examples/NAME.yaml, compiled in).
struct ExampleSweep {
  std::string_view name;  // file name without .yaml
  std::string_view text;  // the YAML, as shipped
};

// Every example, by name.
const std::vector<ExampleSweep>& ExampleSweeps();

// `args` are the positional arguments after `examples`: none or `ls` lists them (name, trials,
// GPU profile, description) in `format`; `show NAME` prints one; `cp NAME [DEST]` writes it to
// DEST (a file, or a folder to put NAME.yaml in; default ./NAME.yaml), refusing to overwrite a
// file unless `force`. Exit 0, or 2 for an unknown action or name (with a hint) or a file that
// exists.
int ExamplesCommand(const std::vector<std::string>& args, bool force, const std::string& format);

}  // namespace qlsweep::runner
