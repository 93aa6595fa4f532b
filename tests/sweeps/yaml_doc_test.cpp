// YAML -> JSON with lines: scalar typing by the YAML 1.2 core schema, line map, parse errors.
#include "sweeps/yaml_doc.h"

#include <chrono>
#include <cmath>

#include <gtest/gtest.h>

#include "tests/sweeps/test_util.h"

namespace qlsweep::sweeps {
namespace {

ParsedDoc Parse(const std::string& text, std::vector<ConfigIssue>* issues_out = nullptr) {
  std::vector<ConfigIssue> issues;
  auto doc = ParseYamlText(text, "t.yaml", issues);
  if (issues_out != nullptr) {
    *issues_out = issues;
  } else {
    EXPECT_TRUE(issues.empty()) << testing::Describe(issues);
  }
  EXPECT_TRUE(doc.has_value());
  return doc.value_or(ParsedDoc{});
}

TEST(SweepsYamlDoc, PlainScalarsAreTypedQuotedOnesAreStrings) {
  // The YAML scalar after "v: " and the JSON it must become (dump() shows int vs float).
  const std::pair<std::string, std::string> cases[] = {
      {"16", "16"},
      {"-3", "-3"},
      {"0x10", "16"},
      {"0.05", "0.05"},
      {"2e-4", "0.0002"},
      {"32.0", "32.0"},
      {"true", "true"},
      {"False", "false"},
      {"~", "null"},
      {"", "null"},
      {"tiny", R"("tiny")"},
      {R"("16")", R"("16")"},
      {"'true'", R"("true")"},
      {"!!str 5", R"("5")"},
      {"yes", R"("yes")"},  // YAML 1.1 booleans are plain strings in 1.2
  };
  for (const auto& [yaml, json] : cases) {
    EXPECT_EQ(Parse("v: " + yaml + "\n").json["v"].dump(), json) << "v: " << yaml;
  }
  EXPECT_TRUE(std::isinf(Parse("v: .inf\n").json["v"].get<double>()));
}

TEST(SweepsYamlDoc, RecordsOneBasedLinesOfKeysAndListItems) {
  ParsedDoc doc = Parse("name: x\ngrid:\n  lora.r:\n    - 4\n    - 8\n  data.seq_len: [64, 128]\n");
  EXPECT_EQ(LineAt(doc.lines, "/name"), 1);
  EXPECT_EQ(LineAt(doc.lines, "/grid"), 2);
  EXPECT_EQ(LineAt(doc.lines, "/grid/lora.r"), 3);
  EXPECT_EQ(LineAt(doc.lines, "/grid/lora.r/0"), 4);
  EXPECT_EQ(LineAt(doc.lines, "/grid/lora.r/1"), 5);
  EXPECT_EQ(LineAt(doc.lines, "/grid/data.seq_len/1"), 6);
  EXPECT_EQ(LineAt(doc.lines, "/nothing"), 0);
}

TEST(SweepsYamlDoc, KeepsKeysInFileOrder) {
  ParsedDoc doc = Parse("zeta: 1\nalpha: 2\nmid: 3\n");
  std::vector<std::string> keys;
  for (const auto& [key, value] : doc.json.items()) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"zeta", "alpha", "mid"}));
}

TEST(SweepsYamlDoc, DuplicateKeysAreIssuesNamingTheFirstLine) {
  std::vector<ConfigIssue> issues;
  Parse("lora:\n  r: 8\n  alpha: 16\n  r: 4\n", &issues);
  ASSERT_EQ(issues.size(), 1u) << testing::Describe(issues);
  EXPECT_EQ(issues[0].ToString(), "t.yaml:4: lora.r: duplicate key (first at line 2)");
}

TEST(SweepsYamlDoc, SyntaxErrorsCarryTheirLine) {
  std::vector<ConfigIssue> issues;
  auto doc = ParseYamlText("name: x\ngrid:\n  lora.r: [4, 8\n", "t.yaml", issues);
  EXPECT_FALSE(doc.has_value());
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].file, "t.yaml");
  EXPECT_GT(issues[0].line, 0);
  EXPECT_NE(issues[0].message.find("YAML syntax error"), std::string::npos);
}

TEST(SweepsYamlDoc, MissingFileIsAnIssue) {
  std::vector<ConfigIssue> issues;
  EXPECT_FALSE(ParseYamlFile("/nonexistent/qlsweep/x.yaml", issues).has_value());
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].ToString(), "/nonexistent/qlsweep/x.yaml: no such file");
}

TEST(SweepsYamlDoc, FolderOrDeviceGivenForAFileIsSaidToBeOne) {
  testing::TempDir dir;
  std::vector<ConfigIssue> issues;
  EXPECT_FALSE(ParseYamlFile(dir.path().string(), issues).has_value());
  EXPECT_FALSE(ParseYamlFile("/dev/null", issues).has_value());
  ASSERT_EQ(issues.size(), 2u);
  EXPECT_EQ(issues[0].ToString(), dir.path().string() + ": is a directory, not a file");
  EXPECT_EQ(issues[1].ToString(), "/dev/null: is not a regular file (a device, FIFO or socket)");
}

// Issues of text that does not parse into a document; fails when it does.
std::vector<ConfigIssue> Refused(const std::string& text) {
  std::vector<ConfigIssue> issues;
  EXPECT_FALSE(ParseYamlText(text, "t.yaml", issues).has_value());
  EXPECT_EQ(issues.size(), 1u) << testing::Describe(issues);
  return issues;
}

TEST(SweepsYamlDoc, SecondDocumentIsRefusedAtItsMarker) {
  auto issues = Refused("name: a\n---\nname: b\n");
  EXPECT_EQ(issues[0].ToString(),
            "t.yaml:2: a second YAML document starts here (after `---`); a file holds exactly one");
  // An explicit first marker, comments and directives before it are fine; the second is not.
  EXPECT_EQ(Refused("# c\n%YAML 1.2\n---\nname: a\n--- # again\nb: 1\n")[0].line, 5);
  EXPECT_EQ(Refused("name: a\n---\n")[0].line, 2);  // even an empty second document
  std::vector<ConfigIssue> none;
  EXPECT_TRUE(ParseYamlText("---\nname: a\n...\n", "t.yaml", none).has_value());
  EXPECT_TRUE(none.empty()) << testing::Describe(none);
}

TEST(SweepsYamlDoc, CommaOutsideAFlowCollectionIsASyntaxErrorNotAHang) {
  // Found by fuzz/trial_config: yaml-cpp 0.7's LoadAll looped forever, allocating, on these.
  for (const std::string text : {",\n", "  ,\n", "# c\n,--\n", "&a ,\n", "\"x\"\n,\n"}) {
    SCOPED_TRACE(text);
    const auto issues = Refused(text);
    ASSERT_EQ(issues.size(), 1u);
    EXPECT_NE(issues[0].message.find("YAML syntax error: unexpected ','"), std::string::npos)
        << issues[0].ToString();
  }
  EXPECT_EQ(Refused("\"x\"\n,\n")[0].line, 2);
}

TEST(SweepsYamlDoc, NestedAliasesStopAtTheValueLimitQuickly) {
  std::string text = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int i = 1; i <= 9; ++i) {  // 10^10 values once expanded
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) text += (k ? ", *a" : "*a") + std::to_string(i - 1);
    text += "]\n";
  }
  const auto start = std::chrono::steady_clock::now();
  auto issues = Refused(text);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_NE(issues[0].message.find("expands to more than 100000 values (nested aliases?)"),
            std::string::npos)
      << issues[0].message;
  // One long string repeated through aliases: the text limit.
  const std::string big(1 << 20, 'x');
  text = "s: &s " + big + "\nl: &l [*s, *s, *s, *s, *s, *s, *s, *s]\nm: [*l, *l, *l]\n";
  EXPECT_NE(Refused(text)[0].message.find("more than 16 MiB of text"), std::string::npos);
  // Aliases in moderation are fine.
  std::vector<ConfigIssue> none;
  auto doc = ParseYamlText("a: &x [1, 2]\nb: *x\n", "t.yaml", none);
  ASSERT_TRUE(doc.has_value());
  EXPECT_EQ(doc->json["b"], doc->json["a"]);
}

TEST(SweepsYamlDoc, DeepNestingIsSaidToBeTooDeepWithItsLine) {
  const auto deep = [](int n) { return "a:\n  b: " + std::string(n, '[') + std::string(n, ']'); };
  std::vector<ConfigIssue> none;
  EXPECT_TRUE(ParseYamlText(deep(90), "t.yaml", none).has_value());
  for (int n : {150, 5000, 100000}) {
    auto issues = Refused(deep(n));
    EXPECT_EQ(issues[0].ToString().substr(0, 28), "t.yaml:2: nesting too deep: ") << n;
  }
}

TEST(SweepsYamlDoc, FileNamesThatAreNotUtf8AreEscapedInMessages) {
  std::vector<ConfigIssue> issues;
  EXPECT_FALSE(ParseYamlFile("/nonexistent/caf\xe9.yaml", issues).has_value());
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].ToString(), "/nonexistent/caf\\xe9.yaml: no such file");
}

TEST(SweepsYamlDoc, InvalidUtf8NamesLineAndColumn) {
  auto issues = Refused("name: a\ndescription: ok \xc3\x28\n");
  EXPECT_EQ(issues[0].ToString(),
            "t.yaml:2: invalid UTF-8 (byte 0xc3 at line 2, column 17); the file must be UTF-8 "
            "text");
  std::vector<ConfigIssue> none;
  EXPECT_TRUE(ParseYamlText("description: caf\xc3\xa9\n", "t.yaml", none).has_value());
}

TEST(SweepsYamlDoc, EscapesForNextLineAndNoBreakSpaceBecomeUtf8) {
  // yaml-cpp 0.7 hands "\N" and "\_" over as the lone bytes 0x85 and 0xA0; the document must hold
  // U+0085 and U+00A0 as UTF-8 (else dump() throws type_error 316), in values and in keys alike.
  const ParsedDoc doc = Parse("v: \"a\\_b\\Nc\\xA0\\L\"\n\"k\\_\": 1\n");
  EXPECT_EQ(doc.json["v"].get<std::string>(),
            "a\xc2\xa0"
            "b\xc2\x85"
            "c\xc2\xa0\xe2\x80\xa8");
  EXPECT_TRUE(doc.json.contains("k\xc2\xa0"));
  EXPECT_EQ(doc.json.dump(),
            "{\"v\":\"a\xc2\xa0"
            "b\xc2\x85"
            "c\xc2\xa0\xe2\x80\xa8\",\"k\xc2\xa0\":1}");
}

TEST(SweepsYamlDoc, JsonTextParsesWithLines) {
  ParsedDoc doc = Parse("{\n  \"lora\": {\n    \"r\": 8,\n    \"alpha\": 16.0\n  }\n}\n");
  EXPECT_EQ(doc.json["lora"]["r"].get<int64_t>(), 8);
  EXPECT_TRUE(doc.json["lora"]["alpha"].is_number_float());
  EXPECT_EQ(LineAt(doc.lines, "/lora/alpha"), 4);
}

TEST(SweepsYamlDoc, ConversionsKeepNumberKinds) {
  nlohmann::json sorted = {{"b", 1}, {"a", 1.0}, {"c", {true, "x", nullptr}}};
  nlohmann::ordered_json ordered = ToOrdered(sorted);
  EXPECT_TRUE(ordered["b"].is_number_integer());
  EXPECT_TRUE(ordered["a"].is_number_float());
  EXPECT_EQ(ToSorted(ordered), sorted);
  EXPECT_EQ(ToSorted(ordered).dump(), sorted.dump());
}

TEST(SweepsYamlDoc, ChildPointerEscapesSlashAndTilde) {
  EXPECT_EQ(ChildPointer("/grid", "lora.r"), "/grid/lora.r");
  EXPECT_EQ(ChildPointer("", "a/b~c"), "/a~1b~0c");
  EXPECT_EQ(ChildPointer("/zip", size_t{2}), "/zip/2");
}

}  // namespace
}  // namespace qlsweep::sweeps
