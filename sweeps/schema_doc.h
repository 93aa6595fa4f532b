// The trial schema rendered for people: a text table for --help, a markdown table for docs.
#pragma once

#include <string>

namespace qlsweep::sweeps {

// One row per key: key, type, default, allowed values and doc, in aligned columns.
std::string SchemaHelpText();

// The same as a markdown table (docs/trial-config.md holds a copy; a unit test keeps it current).
std::string SchemaMarkdown();

}  // namespace qlsweep::sweeps
