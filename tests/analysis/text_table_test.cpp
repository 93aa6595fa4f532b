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

TEST(AnalysisTextTable, JsonIsAnArrayOfTypedObjects) {
  TextTable t{{"k", "v", "note"}, {{"a", "1", "x"}, {"b, \"c\"", "2,048", "-"}}};
  const auto json = nlohmann::json::parse(Render(t, TableFormat::kJson));
  ASSERT_TRUE(json.is_array());
  ASSERT_EQ(json.size(), 2u);
  EXPECT_EQ(json[0], (nlohmann::json{{"k", "a"}, {"v", 1}, {"note", "x"}}));
  EXPECT_EQ(json[1]["k"], "b, \"c\"");
  EXPECT_EQ(json[1]["v"], 2048);
  EXPECT_TRUE(json[1]["note"].is_null());
  EXPECT_EQ(Render(TextTable{{"k"}, {}}, TableFormat::kJson), "[]\n");
}

TEST(AnalysisTextTable, JsonKeepsTheColumnOrder) {
  TextTable t{{"name", "bytes"}, {{"x", "1"}}};
  EXPECT_EQ(Render(t, TableFormat::kJson),
            "[\n  {\n    \"name\": \"x\",\n    \"bytes\": 1\n  }\n]\n");
}

// One column of two cells, rendered as JSON: what each cell becomes.
struct TypingCase {
  std::string label;
  std::string header;
  std::vector<CellKind> kinds;
  std::string a, b;
  nlohmann::json want_a, want_b;
};

class AnalysisTextTableTyping : public ::testing::TestWithParam<TypingCase> {};

TEST_P(AnalysisTextTableTyping, CellsBecome) {
  const auto& c = GetParam();
  TextTable t{{c.header}, {{c.a}, {c.b}}, c.kinds};
  const auto json = nlohmann::json::parse(Render(t, TableFormat::kJson));
  EXPECT_EQ(json[0][c.header], c.want_a);
  EXPECT_EQ(json[1][c.header], c.want_b);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, AnalysisTextTableTyping,
    ::testing::Values(
        TypingCase{"integers", "n", {}, "16", "-3", 16, -3},
        TypingCase{"floats", "x", {}, "0.0002", "1e-08", 0.0002, 1e-08},
        TypingCase{"grouped", "params", {}, "9,994,240", "12", 9994240, 12},
        TypingCase{"missing", "loss", {}, "1.5", "-", 1.5, nullptr},
        TypingCase{"empty_is_null", "error", {}, "", "boom", nullptr, "boom"},
        TypingCase{"mixed_is_text", "fits?", {}, "12", "yes (+1 GiB)", "12", "yes (+1 GiB)"},
        TypingCase{"units_are_text", "speed", {}, "1.00x", "2.00x", "1.00x", "2.00x"},
        TypingCase{"ids_are_text", "trial", {}, "123456789012", "00ab", "123456789012", "00ab"},
        TypingCase{"name_is_text", "name", {}, "8", "16", "8", "16"},
        TypingCase{"forced_text", "v", {CellKind::kText}, "8", "16", "8", "16"},
        TypingCase{"forced_number", "id", {CellKind::kNumber}, "8", "x", 8, "x"},
        TypingCase{"each_cell", "v", {CellKind::kEach}, "8", "x", 8, "x"},
        TypingCase{"no_inf", "v", {}, "inf", "nan", "inf", "nan"}),
    [](const auto& info) { return info.param.label; });

}  // namespace
}  // namespace qlsweep::analysis
