// Table rendering: markdown alignment and escaping, CSV quoting (RFC 4180), JSON objects.
#include "analysis/text_table.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace qlsweep::analysis {
namespace {

TEST(AnalysisTextTable, ParsesFormatNames) {
  EXPECT_EQ(ParseTableFormat("markdown"), TableFormat::kMarkdown);
  EXPECT_EQ(ParseTableFormat("md"), TableFormat::kMarkdown);
  EXPECT_EQ(ParseTableFormat("csv"), TableFormat::kCsv);
  EXPECT_EQ(ParseTableFormat("json"), TableFormat::kJson);
  EXPECT_THROW(ParseTableFormat("html"), std::invalid_argument);
}

TEST(AnalysisTextTable, MarkdownPadsColumnsToTheWidestCell) {
  TextTable t{{"a", "long header"}, {{"wide cell", "1"}, {"", "22"}}};
  EXPECT_EQ(Render(t, TableFormat::kMarkdown),
            "| a         | long header |\n"
            "|-----------|-------------|\n"
            "| wide cell | 1           |\n"
            "|           | 22          |\n");
}

TEST(AnalysisTextTable, MarkdownColumnsAreAtLeastThreeWide) {
  TextTable t{{"x"}, {{"1"}}};
  EXPECT_EQ(Render(t, TableFormat::kMarkdown), "| x   |\n|-----|\n| 1   |\n");
}

TEST(AnalysisTextTable, MarkdownEscapesPipesAndFlattensNewlines) {
  TextTable t{{"sql"}, {{"a|b\nc"}}};
  EXPECT_EQ(Render(t, TableFormat::kMarkdown), "| sql    |\n|--------|\n| a\\|b c |\n");
}

TEST(AnalysisTextTable, CsvQuotesOnlyCellsThatNeedIt) {
  TextTable t{{"name", "note"},
              {{"plain", "a, b"}, {"say \"hi\"", "two\nlines"}, {"cr\rhere", ""}}};
  EXPECT_EQ(Render(t, TableFormat::kCsv),
            "name,note\n"
            "plain,\"a, b\"\n"
            "\"say \"\"hi\"\"\",\"two\nlines\"\n"
            "\"cr\rhere\",\n");
}

TEST(AnalysisTextTable, JsonIsAnArrayOfObjectsWithStringValues) {
  TextTable t{{"k", "v"}, {{"a", "1"}, {"b, \"c\"", "2"}}};
  const auto json = nlohmann::json::parse(Render(t, TableFormat::kJson));
  ASSERT_TRUE(json.is_array());
  ASSERT_EQ(json.size(), 2u);
  EXPECT_EQ(json[0], (nlohmann::json{{"k", "a"}, {"v", "1"}}));
  EXPECT_EQ(json[1]["k"], "b, \"c\"");
  EXPECT_TRUE(json[1]["v"].is_string());
  EXPECT_EQ(Render(TextTable{{"k"}, {}}, TableFormat::kJson), "[]\n");
}

TEST(AnalysisTextTable, JsonKeepsTheColumnOrder) {
  TextTable t{{"name", "bytes"}, {{"x", "1"}}};
  EXPECT_EQ(Render(t, TableFormat::kJson),
            "[\n  {\n    \"name\": \"x\",\n    \"bytes\": \"1\"\n  }\n]\n");
}

}  // namespace
}  // namespace qlsweep::analysis
