// `qlsweep estimate` and `qlsweep gpus` output: rows, verdict, formats.
#include "analysis/estimate_table.h"

#include <algorithm>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sweeps/load.h"

namespace qlsweep::analysis {
namespace {

sweeps::TrialConfig Qlora7b(int seq_len) {
  return sweeps::ResolveTrial({{"model.preset", "llama2-7b"}, {"data.seq_len", seq_len}});
}

const sweeps::GpuProfile& Laptop() { return *sweeps::FindGpuProfile("rtx4050-laptop-6gb"); }

TEST(AnalysisEstimateTable, OneRowPerComponentThenTotalsThenVerdict) {
  const MemoryEstimate e = EstimateMemory(Qlora7b(512));
  const TextTable t = EstimateTable(e, &Laptop());
  ASSERT_EQ(t.headers, (std::vector<std::string>{"component", "bytes", "GiB", "note"}));
  ASSERT_EQ(t.rows.size(), e.components.size() + 6);
  const size_t n = e.components.size();
  EXPECT_EQ(t.rows[0][0], e.components[0].name);
  EXPECT_EQ(t.rows[n][0], "peak allocated");
  EXPECT_EQ(t.rows[n][1], std::to_string(e.allocated_bytes));
  EXPECT_EQ(t.rows[n + 3][0], "total");
  EXPECT_EQ(t.rows[n + 3][1], std::to_string(e.total_bytes));
  EXPECT_EQ(t.rows[n + 4][0], "budget (rtx4050-laptop-6gb)");
  EXPECT_EQ(t.rows[n + 4][2], "6.00");  // 6141 MiB
  EXPECT_EQ(t.rows[n + 5][0], "margin");
  EXPECT_EQ(t.rows[n + 5][1], std::to_string(Laptop().memory_bytes - e.total_bytes));
  EXPECT_EQ(t.rows[n + 5][3], "fits");
  // Without a profile there is no verdict.
  EXPECT_EQ(EstimateTable(e, nullptr).rows.size(), n + 4);
}

TEST(AnalysisEstimateTable, MarkdownReportStatesTheVerdict) {
  const std::string fits = EstimateReport(Qlora7b(512), &Laptop(), TableFormat::kMarkdown);
  EXPECT_EQ(fits.rfind("Memory estimate: llama2-7b, nf4 + double quant, LoRA r=16 on "
                       "q,k,v,o,gate,up,down, micro-batch 1 x seq 512, checkpointing, "
                       "paged_adamw_8bit, compute 16-bit\n",
                       0),
            0u)
      << fits;
  EXPECT_NE(fits.find("\nFits rtx4050-laptop-6gb (6.00 GiB): "), std::string::npos) << fits;
  EXPECT_NE(fits.find(" GiB to spare.\n"), std::string::npos);
  const std::string short_of = EstimateReport(Qlora7b(4096), &Laptop(), TableFormat::kMarkdown);
  EXPECT_NE(short_of.find("\nDoes not fit rtx4050-laptop-6gb"), std::string::npos) << short_of;
  EXPECT_NE(short_of.find(" GiB short.\n"), std::string::npos);
  EXPECT_EQ(EstimateReport(Qlora7b(512), nullptr, TableFormat::kMarkdown).find("Fits"),
            std::string::npos);
}

// A config that does not fit gets the settings that move memory without changing what it
// computes, each predicted; one that fits, or a CPU trial, gets none.
TEST(AnalysisEstimateTable, ShortOfTheCardListsTheMemorySwitches) {
  const std::string report = EstimateReport(Qlora7b(2048), &Laptop(), TableFormat::kMarkdown);
  const auto at = report.find("Settings that move memory");
  ASSERT_NE(at, std::string::npos) << report;
  const std::string table = report.substr(at);
  for (const char* row : {"| train.offload_activations=true ", "| train.offload_embeddings=true ",
                          "| train.offload_activations=true train.offload_embeddings=true "}) {
    EXPECT_NE(table.find(row), std::string::npos) << row << "\n" << table;
  }
  auto offloaded = Qlora7b(2048);
  offloaded.train.offload_activations = true;
  EXPECT_LT(EstimateMemory(offloaded).total_bytes, EstimateMemory(Qlora7b(2048)).total_bytes);
  EXPECT_EQ(EstimateReport(Qlora7b(512), &Laptop(), TableFormat::kMarkdown)
                .find("Settings that move memory"),
            std::string::npos);
  auto cpu = Qlora7b(2048);
  cpu.hardware.device = "cpu";
  EXPECT_EQ(EstimateReport(cpu, &Laptop(), TableFormat::kMarkdown).find("Settings that move"),
            std::string::npos);
  // A tied table cannot leave the device: SmolLM2 gets no embedding row.
  auto tied = sweeps::ResolveTrial(
      {{"model.preset", "smollm2-135m"}, {"data.seq_len", 8192}, {"train.micro_batch", 64}});
  const std::string small = EstimateReport(tied, &Laptop(), TableFormat::kMarkdown);
  ASSERT_NE(small.find("Settings that move memory"), std::string::npos) << small;
  EXPECT_EQ(small.find("offload_embeddings"), std::string::npos) << small;
}

TEST(AnalysisEstimateTable, CsvAndJsonCarryTheSameRows) {
  const auto cfg = Qlora7b(1024);
  const TextTable t = EstimateTable(EstimateMemory(cfg), &Laptop());
  const auto json = nlohmann::json::parse(EstimateReport(cfg, &Laptop(), TableFormat::kJson));
  ASSERT_EQ(json.size(), t.rows.size());
  EXPECT_EQ(json.back()["component"], "margin");
  EXPECT_EQ(json.back()["bytes"].get<double>(), *CellNumber(t.rows.back()[1]));
  const std::string csv = EstimateReport(cfg, &Laptop(), TableFormat::kCsv);
  EXPECT_EQ(csv.rfind("component,bytes,GiB,note\n", 0), 0u);
  EXPECT_EQ(static_cast<size_t>(std::count(csv.begin(), csv.end(), '\n')), t.rows.size() + 1);
}

TEST(AnalysisEstimateTable, GpusTableListsEveryProfile) {
  const TextTable t = GpuProfilesTable();
  ASSERT_EQ(t.rows.size(), sweeps::GpuProfiles().size());
  EXPECT_EQ(t.rows[0][0], "rtx4050-laptop-6gb");
  EXPECT_EQ(t.rows[0][1], "6439305216");
  EXPECT_EQ(t.rows[0][3], "192");
  EXPECT_EQ(t.rows[0][5], "20");
  EXPECT_EQ(t.rows[0][6], "8.9");
}

}  // namespace
}  // namespace qlsweep::analysis
