// The example sweeps compiled into the binary: listing, printing and copying them.
#include "runner/examples_command.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "analysis/text_table.h"
#include "runner/example_sweeps_data.h"
#include "sweeps/load.h"
#include "sweeps/suggest.h"

namespace qlsweep::runner {
namespace {

constexpr int kExitInvalid = 2;
namespace fs = std::filesystem;

const ExampleSweep* FindExample(std::string name) {
  if (name.ends_with(".yaml")) name.resize(name.size() - 5);
  for (const auto& example : ExampleSweeps()) {
    if (example.name == name) return &example;
  }
  return nullptr;
}

int UnknownExample(const std::string& name) {
  std::vector<std::string> names;
  for (const auto& example : ExampleSweeps()) names.emplace_back(example.name);
  std::fprintf(stderr,
               "qlsweep: examples: no example named '%s'%s (`qlsweep examples` lists them)\n",
               name.c_str(), sweeps::DidYouMean(name, names).c_str());
  return kExitInvalid;
}

int List(const std::string& format) {
  analysis::TextTable table;
  table.headers = {"name", "trials", "gpu profile", "description"};
  for (const auto& example : ExampleSweeps()) {
    const auto sweep = sweeps::LoadSweepText(
        std::string(example.text), "sweeps/examples/" + std::string(example.name) + ".yaml");
    table.rows.push_back({std::string(example.name), std::to_string(sweep.trials.size()),
                          sweep.gpu_profile.empty() ? "-" : sweep.gpu_profile,
                          sweep.spec.value("description", "")});
  }
  const auto text = analysis::Render(table, analysis::ParseTableFormat(format));
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (analysis::ParseTableFormat(format) == analysis::TableFormat::kMarkdown) {
    std::printf(
        "\n`qlsweep examples cp NAME [DEST]` copies one to edit; `qlsweep run NAME.yaml`\n");
  }
  return 0;
}

int Copy(const ExampleSweep& example, const std::string& dest_arg, bool force) {
  const std::string file_name = std::string(example.name) + ".yaml";
  fs::path dest = dest_arg.empty() ? fs::path(file_name) : fs::path(dest_arg);
  if (fs::is_directory(dest)) dest /= file_name;
  if (fs::exists(dest) && !force) {
    std::fprintf(stderr, "qlsweep: examples cp: %s exists; pass --force to overwrite it\n",
                 dest.c_str());
    return kExitInvalid;
  }
  if (dest.has_parent_path() && !fs::is_directory(dest.parent_path())) {
    std::fprintf(stderr, "qlsweep: examples cp: no folder %s\n", dest.parent_path().c_str());
    return kExitInvalid;
  }
  std::ofstream out(dest, std::ios::binary);
  out.write(example.text.data(), static_cast<std::streamsize>(example.text.size()));
  out.close();
  if (!out) throw std::runtime_error("cannot write " + dest.string());
  std::printf("wrote %s; edit it, then: qlsweep plan %s && qlsweep run %s\n", dest.c_str(),
              dest.c_str(), dest.c_str());
  return 0;
}

}  // namespace

const std::vector<ExampleSweep>& ExampleSweeps() {
  static const std::vector<ExampleSweep> examples = [] {
    std::vector<ExampleSweep> out;
    for (const auto& [name, text] : kExampleSweepData) out.push_back({name, text});
    return out;
  }();
  return examples;
}

int ExamplesCommand(const std::vector<std::string>& args, bool force, const std::string& format) {
  const std::string action = args.empty() ? "ls" : args[0];
  const auto usage = [] {
    std::fprintf(stderr,
                 "qlsweep: examples: expected `examples [ls]`, `examples show NAME` or "
                 "`examples cp NAME [DEST]`\n");
    return kExitInvalid;
  };
  if (action == "ls" || action == "list") return args.size() <= 1 ? List(format) : usage();
  if (action != "cp" && action != "show") return usage();
  if (args.size() < 2 || args.size() > (action == "cp" ? 3u : 2u)) return usage();
  const ExampleSweep* example = FindExample(args[1]);
  if (example == nullptr) return UnknownExample(args[1]);
  if (action == "show") {
    std::fwrite(example->text.data(), 1, example->text.size(), stdout);
    return 0;
  }
  return Copy(*example, args.size() > 2 ? args[2] : "", force);
}

}  // namespace qlsweep::runner
