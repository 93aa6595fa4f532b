// Keeps the docs honest: docs/trial-config.md's table is the rendered schema, and every YAML
// example in docs/sweep-file.md loads (or fails with the error its first comment announces).
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "sweeps/config_error.h"
#include "sweeps/load.h"
#include "sweeps/schema_doc.h"

namespace qlsweep::sweeps {
namespace {

const std::filesystem::path kSource = QLSWEEP_SOURCE_DIR;
constexpr std::string_view kBegin = "<!-- schema table: generated from sweeps/schema.cpp -->\n";
constexpr std::string_view kEnd = "<!-- end of schema table -->\n";

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(SweepsSchemaDoc, TrialConfigDocHasTheCurrentSchemaTable) {
  const auto path = kSource / "docs/trial-config.md";
  std::string doc = ReadFile(path);
  const size_t begin = doc.find(kBegin);
  const size_t end = doc.find(kEnd);
  ASSERT_NE(begin, std::string::npos) << path << " lacks the line " << kBegin;
  ASSERT_NE(end, std::string::npos) << path << " lacks the line " << kEnd;
  ASSERT_LT(begin, end);
  const size_t table_start = begin + kBegin.size();
  const std::string table = doc.substr(table_start, end - table_start);
  const std::string expected = SchemaMarkdown();
  if (table != expected && std::getenv("QLSWEEP_UPDATE_DOCS") != nullptr) {
    doc.replace(table_start, end - table_start, expected);
    std::ofstream(path) << doc;
    GTEST_SKIP() << "rewrote the table in " << path;
  }
  EXPECT_EQ(table, expected) << path
                             << " is out of date with sweeps/schema.cpp. Regenerate it with:\n"
                             << "  QLSWEEP_UPDATE_DOCS=1 " << QLSWEEP_BINARY_DIR
                             << "/tests/sweeps/sweeps_test --gtest_filter=SweepsSchemaDoc.*";
}

TEST(SweepsSchemaDoc, SweepFileDocExamplesLoad) {
  const auto path = kSource / "docs/sweep-file.md";
  std::istringstream doc(ReadFile(path));
  std::string line, block;
  bool in_block = false;
  int block_line = 0, line_no = 0, blocks = 0;
  while (std::getline(doc, line)) {
    ++line_no;
    if (!in_block && line == "```yaml") {
      in_block = true;
      block.clear();
      block_line = line_no + 1;
    } else if (in_block && line == "```") {
      in_block = false;
      ++blocks;
      const std::string label = path.string() + ":" + std::to_string(block_line);
      const std::string error_tag = "# error: ";
      if (block.rfind(error_tag, 0) == 0) {
        const std::string expected =
            block.substr(error_tag.size(), block.find('\n') - error_tag.size());
        try {
          LoadSweepText(block, "example.yaml");
          ADD_FAILURE() << label << ": expected an error containing '" << expected << "'";
        } catch (const ConfigError& e) {
          EXPECT_NE(std::string(e.what()).find(expected), std::string::npos)
              << label << ": got " << e.what();
        }
      } else {
        try {
          ExpandedSweep sweep = LoadSweepText(block, "example.yaml");
          EXPECT_FALSE(sweep.trials.empty()) << label;
        } catch (const ConfigError& e) {
          ADD_FAILURE() << label << ": " << e.what();
        }
      }
    } else if (in_block) {
      block += line + "\n";
    }
  }
  EXPECT_GE(blocks, 5) << "expected the examples of " << path;
}

TEST(SweepsSchemaDoc, SweepFileDocShowsTheCurrentDefaultSweep) {
  const std::string doc = ReadFile(kSource / "docs/sweep-file.md");
  EXPECT_NE(doc.find("```yaml\n" + DefaultSweepYaml() + "```\n"), std::string::npos)
      << "docs/sweep-file.md's copy of the default sweep differs from DefaultSweepYaml() in "
         "sweeps/default_sweep.cpp; copy it over";
}

}  // namespace
}  // namespace qlsweep::sweeps
