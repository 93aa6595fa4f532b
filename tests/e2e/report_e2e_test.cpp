// `qlsweep report` and `qlsweep table --by` on a recorded run index: files, plots, error paths.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/analysis/sweep_fixture.h"
#include "tests/e2e/e2e_support.h"

namespace {

using qlsweep::e2e::Has;
using qlsweep::e2e::ReadText;

namespace fs = std::filesystem;
using qlsweep::e2e::E2eTest;
using qlsweep::e2e::RunQlsweep;

class ReportEndToEnd : public E2eTest {
 protected:
  void SetUp() override {
    E2eTest::SetUp();
    db_ = qlsweep::analysis::testing::WriteFixtureRuns((dir_ / "runs").string());
  }
};

TEST_F(ReportEndToEnd, WritesTablesPlotsAndAnIndexPage) {
  const fs::path out = dir_ / "report";
  const auto result =
      RunQlsweep("report --db " + db_ + " --sweep rank-4050 --out " + out.string() + " 2>&1");
  ASSERT_EQ(result.exit_code, 0) << result.out;
  EXPECT_TRUE(Has(result.out, "open " + out.string() + "/index.html")) << result.out;

  const std::string by_rank = ReadText(out / "tables" / "by-lora.r.md");
  EXPECT_TRUE(Has(by_rank, "yes (+775 MiB)")) << by_rank;
  EXPECT_TRUE(Has(by_rank, "no (oom in backward)")) << by_rank;
  EXPECT_TRUE(Has(by_rank, "| lora.r=256 ")) << by_rank;  // the failed trial is a row too
  EXPECT_TRUE(Has(ReadText(out / "tables" / "by-lora.r.csv"), "0.625"));
  for (const char* table : {"trials", "memory-vs-quality", "pareto-quality", "pareto-speed"}) {
    EXPECT_TRUE(fs::exists(out / "tables" / (std::string(table) + ".md"))) << table;
  }

  const std::string html = ReadText(out / "index.html");
  const std::string markdown = ReadText(out / "report.md");
  for (const std::string plot :
       {"memory-by-lora.r", "memory-vs-quality", "tokens-per-s-vs-memory", "loss-curves"}) {
    const std::string svg = ReadText(out / "plots" / (plot + ".svg"));
    EXPECT_TRUE(Has(svg, "<svg")) << plot;
    EXPECT_TRUE(Has(svg, "</svg>")) << plot;
    EXPECT_TRUE(Has(html, "<img src=\"plots/" + plot + ".svg\"")) << plot;
    EXPECT_TRUE(Has(markdown, "](plots/" + plot + ".")) << plot;
    EXPECT_TRUE(fs::exists(out / "plots" / (plot + ".gp"))) << plot;
    EXPECT_FALSE(fs::exists(out / "plots" / (plot + ".log"))) << plot;  // removed on success
    const fs::path png = out / "plots" / (plot + ".png");
    if (fs::exists(png)) {
      EXPECT_EQ(ReadText(png).substr(1, 3), "PNG") << plot;
    }
  }
  EXPECT_TRUE(Has(ReadText(out / "plots" / "memory-vs-quality.svg"), "Pareto front"));
  EXPECT_TRUE(Has(html, "quality reference: lora.r=64"));
  EXPECT_TRUE(Has(html, "<td>no (oom in backward)</td>"));
  EXPECT_FALSE(fs::exists(out / "plots" / "memory-by-data.seq_len.svg"));  // seq_len is fixed
}

TEST_F(ReportEndToEnd, DefaultFolderIsBesideTheRunIndex) {
  const auto result = RunQlsweep("report --db " + db_ + " --sweep seq-4050");
  ASSERT_EQ(result.exit_code, 0) << result.out;
  const fs::path out = fs::path(db_).parent_path() / "report-seq-4050";
  EXPECT_TRUE(Has(ReadText(out / "plots" / "memory-by-data.seq_len.svg"), "<svg"));
  EXPECT_TRUE(Has(ReadText(out / "plots" / "memory-by-data.seq_len.svg"), "out of memory"));
  EXPECT_TRUE(Has(ReadText(out / "tables" / "by-data.seq_len.md"), "activation memory MiB"));
  EXPECT_TRUE(Has(ReadText(out / "index.html"), "the sweep names no reference trial"));
}

TEST_F(ReportEndToEnd, WithoutGnuplotTheTablesAreStillWritten) {
  const fs::path out = dir_ / "no-plots";
  const auto result = RunQlsweep("report --db " + db_ + " --sweep batch-4050 --out " +
                                 out.string() + " --gnuplot /nonexistent/gnuplot 2>&1");
  EXPECT_EQ(result.exit_code, 1) << result.out;
  EXPECT_TRUE(Has(result.out, "gnuplot not found (looked for '/nonexistent/gnuplot')"))
      << result.out;
  EXPECT_TRUE(Has(ReadText(out / "tables" / "by-batch.md"), "2 x 8"));
  EXPECT_TRUE(fs::exists(out / "plots" / "tokens-per-s-vs-memory.gp"));
  EXPECT_FALSE(fs::exists(out / "plots" / "tokens-per-s-vs-memory.svg"));
  EXPECT_TRUE(Has(ReadText(out / "index.html"), "gnuplot not found"));
}

TEST_F(ReportEndToEnd, DamagedAndMissingSeriesFilesAreNamedNeverAHang) {
  const fs::path series = fs::path(db_).parent_path() / "series";
  const std::string truncated = (series / "rank-4050-lora.r=4.h5").string();
  const std::string flipped = (series / "rank-4050-lora.r=8.h5").string();
  const std::string missing = (series / "rank-4050-lora.r=16.h5").string();
  const std::string folder = (series / "rank-4050-lora.r=32.h5").string();
  std::string bytes = ReadText(truncated);
  std::ofstream(truncated, std::ios::binary | std::ios::trunc) << bytes.substr(0, bytes.size() / 2);
  bytes = ReadText(flipped);
  for (size_t at = 200; at < bytes.size(); at += 97) bytes[at] = static_cast<char>(~bytes[at]);
  std::ofstream(flipped, std::ios::binary | std::ios::trunc) << bytes;
  fs::remove(missing);
  fs::remove(folder);
  fs::create_directory(folder);

  const auto start = std::chrono::steady_clock::now();
  const auto result = RunQlsweep("report --db " + db_ + " --sweep rank-4050 --out " +
                                 (dir_ / "report").string() + " 2>&1");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  EXPECT_EQ(result.exit_code, 0) << result.out;
  for (const std::string& file : {truncated, flipped, folder}) {
    EXPECT_TRUE(Has(result.out, "qlsweep: warning: series file " + file)) << result.out;
  }
  EXPECT_TRUE(Has(result.out, folder + ": is a directory, not an HDF5 file; the loss curves of "
                                       "trial rank-4050-lora.r=32 (lora.r=32) are left out"))
      << result.out;
  EXPECT_TRUE(Has(result.out, "qlsweep: warning: series file " + missing +
                                  " of trial rank-4050-lora.r=16 (lora.r=16, done) is missing; "
                                  "its loss curves are left out"))
      << result.out;
  // The readable trial still has its curve.
  EXPECT_TRUE(Has(ReadText(dir_ / "report" / "plots" / "loss-curves.dat"), "\n"));
}

TEST_F(ReportEndToEnd, TableByKeyInEveryFormat) {
  const auto csv = RunQlsweep("table --db " + db_ + " --sweep rank-4050 --by rank --format csv");
  ASSERT_EQ(csv.exit_code, 0);
  EXPECT_TRUE(Has(csv.out,
                  "lora.r=4,done,4,\"9,994,240\",5.24,yes (+775 MiB),2659.0,1.8000,"
                  "0.500,\"quality, speed\"\n"))
      << csv.out;
  const auto json =
      RunQlsweep("table --db " + db_ + " --sweep seq-4050 --by data.seq_len --format json");
  ASSERT_EQ(json.exit_code, 0);
  const auto rows = nlohmann::json::parse(json.out);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[3]["fits rtx4050-laptop-6gb?"], "no (oom in forward)");
  const auto quality = RunQlsweep("table --db " + db_ + " --sweep seq-4050 --by quality 2>&1");
  EXPECT_TRUE(Has(quality.out, "quality: none (the sweep names no reference trial)"));
  EXPECT_EQ(RunQlsweep("table --db " + db_ + " --sweep seq-4050 --by lora.rank 2>&1").exit_code, 2);
  EXPECT_EQ(RunQlsweep("report --db " + db_ + " --sweep nope 2>&1").exit_code, 2);
}

}  // namespace
