// The alpaca and none prompt templates.
#include "trainer/data/prompt_template.h"

#include <stdexcept>

namespace qlsweep::trainer {

const std::vector<std::string>& PromptTemplateNames() {
  static const std::vector<std::string> kNames = {"alpaca", "none"};
  return kNames;
}

std::string FormatPrompt(const std::string& name, const std::string& instruction,
                         const std::string& input) {
  if (name == "alpaca") {
    if (input.empty()) {
      return "Below is an instruction that describes a task. Write a response that appropriately "
             "completes the request.\n\n### Instruction:\n" +
             instruction + "\n\n### Response:\n";
    }
    return "Below is an instruction that describes a task, paired with an input that provides "
           "further context. Write a response that appropriately completes the request.\n\n"
           "### Instruction:\n" +
           instruction + "\n\n### Input:\n" + input + "\n\n### Response:\n";
  }
  if (name == "none") return input.empty() ? instruction : instruction + "\n" + input;
  std::string known;
  for (const auto& n : PromptTemplateNames()) known += (known.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown prompt template '" + name + "' (known: " + known + ")");
}

}  // namespace qlsweep::trainer
