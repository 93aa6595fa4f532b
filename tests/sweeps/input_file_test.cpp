// Files named by users: kind checks, size-limited reads, UTF-8 validation, JSON errors with lines.
#include "sweeps/input_file.h"

#include <gtest/gtest.h>

#include "tests/sweeps/test_util.h"

namespace qlsweep::sweeps {
namespace {

// The message of the std::runtime_error `fn` throws ("" when none).
std::string ErrorOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(SweepsInputFile, ProblemsNameTheKindOfPath) {
  testing::TempDir dir;
  const std::string file = dir.Write("f.txt", "x");
  const std::string folder = dir.path().string();
  EXPECT_EQ(FileProblem(file), "");
  EXPECT_EQ(FileProblem(folder), "is a directory, not a file");
  EXPECT_EQ(FileProblem("/dev/null"), "is not a regular file (a device, FIFO or socket)");
  EXPECT_EQ(FileProblem(folder + "/nope"), "no such file");
  EXPECT_EQ(FileProblem(file + "/below"), "no such file (a folder on the way is a file)");
  EXPECT_EQ(FileProblem(""), "no path given (empty)");
  EXPECT_EQ(FolderProblem(folder), "");
  EXPECT_EQ(FolderProblem(file), "is a file, not a folder");
  EXPECT_EQ(FolderProblem(folder + "/nope"), "no such folder");
}

TEST(SweepsInputFile, ReadWholeFileNamesTheFileAndKeepsToItsLimit) {
  testing::TempDir dir;
  const std::string file = dir.Write("f.txt", std::string(3000, 'a'));
  EXPECT_EQ(ReadWholeFile(file).size(), 3000u);
  EXPECT_EQ(ErrorOf([&] { ReadWholeFile(dir.path().string()); }),
            dir.path().string() + ": is a directory, not a file");
  EXPECT_EQ(ErrorOf([&] { ReadWholeFile(file, 1 << 20); }), "");
  EXPECT_NE(ErrorOf([&] { ReadWholeFile("/dev/zero"); }).find("not a regular file"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] { ReadWholeFile(file, 2000); }).find(file + ": larger than"),
            std::string::npos);
}

TEST(SweepsInputFile, InvalidUtf8IsFoundWithLineAndColumn) {
  EXPECT_FALSE(FindInvalidUtf8("plain ascii\nand caf\xc3\xa9 \xf0\x9f\x98\x80").has_value());
  const char* bad[] = {"\xff", "\xc0\xaf" /* overlong '/' */, "\xed\xa0\x80" /* surrogate */,
                       "\xf4\x90\x80\x80" /* > U+10FFFF */, "\xe2\x82" /* truncated */};
  for (const char* tail : bad) {
    const std::string text = std::string("ok\nab") + tail;
    const auto problem = FindInvalidUtf8(text);
    ASSERT_TRUE(problem.has_value()) << text;
    EXPECT_EQ(problem->offset, 5u);
    EXPECT_EQ(problem->line, 2);
    EXPECT_EQ(problem->column, 3);
    EXPECT_EQ(problem->byte, static_cast<unsigned char>(tail[0]));
  }
}

TEST(SweepsInputFile, Utf8SafeEscapesOnlyTheInvalidBytes) {
  EXPECT_EQ(Utf8Safe("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(Utf8Safe("a\xff"
                     "b\xc3"),
            "a\\xffb\\xc3");
  EXPECT_FALSE(FindInvalidUtf8(Utf8Safe("\xed\xa0\x80\xf4\x90\x80\x80")).has_value());
}

TEST(SweepsInputFile, JsonErrorsNameFileLineAndColumnNotTheLibrary) {
  const std::string syntax =
      ErrorOf([] { ParseJsonText("cfg/config.json", "{\n  \"a\": 1,\n  \"b\": tru\n}"); });
  EXPECT_EQ(syntax.rfind("cfg/config.json:3:", 0), 0u) << syntax;
  EXPECT_NE(syntax.find("invalid JSON"), std::string::npos) << syntax;
  EXPECT_EQ(syntax.find("json.exception"), std::string::npos) << syntax;
  EXPECT_EQ(ErrorOf([] { ParseJsonText("c.json", "{\"a\": \"\xff\"}"); }),
            "c.json:1: invalid UTF-8 (byte 0xff at line 1, column 8); the file must be UTF-8 text");
  const std::string deep(100000, '[');
  EXPECT_EQ(ErrorOf([&] { ParseJsonText("c.json", deep); }),
            "c.json: invalid JSON: nesting deeper than 512 levels");
  EXPECT_EQ(ErrorOf([&] { ParseJsonText("c.json", "{\"eps\": 1e400}"); }),
            "c.json: invalid JSON: number overflow parsing '1e400'");
  EXPECT_EQ(ParseJsonText("c.json", "{\"a\": [1, 2]}")["a"][1], 2);
}

}  // namespace
}  // namespace qlsweep::sweeps
