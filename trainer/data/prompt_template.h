// Prompt templates that turn instruction records into the prompt text preceding the response.
#pragma once

#include <string>
#include <vector>

namespace qlsweep::trainer {

// The prompt for `instruction` (and optional `input`) under template `name`:
//   "alpaca": Stanford Alpaca's template, with or without its "### Input:" section, ending in
//             "### Response:\n";
//   "none":   the instruction as is, then "\n" and the input if non-empty.
// Throws std::invalid_argument for an unknown name, listing the known ones.
std::string FormatPrompt(const std::string& name, const std::string& instruction,
                         const std::string& input);
const std::vector<std::string>& PromptTemplateNames();

}  // namespace qlsweep::trainer
