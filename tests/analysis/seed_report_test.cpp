// The seed report's sections built from recorded trials: which figures are compared with which
// claim, which verdicts follow, and why a claim cannot be checked.
#include "analysis/seed_report.h"

#include <gtest/gtest.h>

#include <map>

#include "analysis/seed_report_write.h"
#include "analysis/seed_sections.h"
#include "protocol/result_keys.h"
#include "sweeps/gpu_profiles.h"

namespace qlsweep::analysis {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
namespace result = protocol::result;
using protocol::TrialStatus;

storage::TrialRow Row(const std::string& name, std::map<std::string, std::string> params,
                      std::map<std::string, double> results,
                      TrialStatus status = TrialStatus::kDone) {
  storage::TrialRow t;
  t.id = t.name = name;
  t.status = status;
  t.params = std::move(params);
  t.results = std::move(results);
  return t;
}

// A Llama-2-7B trial on the GPU.
storage::TrialRow Gpu7b(const std::string& name, int seq, std::map<std::string, double> results,
                        TrialStatus status = TrialStatus::kDone) {
  return Row(name,
             {{"model.preset", "llama2-7b"},
              {"hardware.device", "cuda"},
              {"data.seq_len", std::to_string(seq)}},
             std::move(results), status);
}

// A SmolLM2 seed with its eval losses.
storage::TrialRow Smol(const std::string& name, int seed, int seq, double base, double final) {
  return Row(name + ",train.seed=" + std::to_string(seed),
             {{"model.weights", "/opt/qlsweep/models/SmolLM2-135M-Instruct.Q4_1.gguf"},
              {"model.preset", ""},
              {"hardware.device", "cuda"},
              {"data.seq_len", std::to_string(seq)}},
             {{std::string(result::kBaseEvalLoss), base},
              {std::string(result::kFinalEvalLoss), final},
              {std::string(result::kFinalLoss), final}});
}

SeedReportInputs Inputs() {
  SeedReportInputs in;
  in.profile = *sweeps::FindGpuProfile("rtx4050-laptop-6gb");
  in.hardware = "NVIDIA H200";
  return in;
}

const SeedSection& Section(const SeedReport& r, const std::string& prefix) {
  for (const auto& s : r.sections) {
    if (s.title.starts_with(prefix)) return s;
  }
  throw std::runtime_error("no section " + prefix);
}

TEST(SeedReport, SeqLenRowsCompareActivationTotalAndTheHeldOutcome) {
  auto in = Inputs();
  auto& seq = in.trials[SeedPart::kSeqLen];
  // 512: 424 MiB of activations (0.41 GiB vs 0.5: holds), 5.51 GiB total (vs 4.5: does not).
  seq.push_back(Gpu7b("seq512", 512,
                      {{std::string(result::kStartedAllocBytes), 4.0 * kGiB},
                       {std::string(result::kPeakAllocBytes), 4.0 * kGiB + 424.2 * 1024 * 1024},
                       {std::string(result::kDevicePeakBytes), 5.51 * kGiB}}));
  seq.push_back(Gpu7b("held-seq512", 512, {{std::string(result::kDevicePeakBytes), 5.51 * kGiB}}));
  seq.push_back(Gpu7b("seq2048", 2048, {{std::string(result::kDevicePeakBytes), 6.26 * kGiB}}));
  seq.push_back(Gpu7b("held-seq2048", 2048, {}, TrialStatus::kOom));
  const auto report = BuildSeedReport(in);
  const auto s = Section(report, "Sequence length");
  ASSERT_EQ(s.claims.size(), 5u);
  EXPECT_EQ(s.claims[0].verdict.verdict, SeedVerdict::kDoesNotHold) << s.claims[0].verdict.reason;
  EXPECT_NE(s.claims[0].verdict.reason.find("activation: holds"), std::string::npos)
      << s.claims[0].verdict.reason;
  EXPECT_NE(s.claims[0].verdict.reason.find("fits: holds"), std::string::npos);
  EXPECT_EQ(s.claims[1].verdict.verdict, SeedVerdict::kCannotCheck);  // 1024: no trial
  // 2048: the seed says it fits with 8% to spare; held to the card it ran out of memory.
  EXPECT_EQ(s.claims[2].verdict.verdict, SeedVerdict::kDoesNotHold);
  EXPECT_NE(s.claims[2].verdict.reason.find("fits: does not hold (does not fit: held to"),
            std::string::npos)
      << s.claims[2].verdict.reason;
  EXPECT_NE(s.claims[4].verdict.reason.find("context of 4096"), std::string::npos);
  EXPECT_EQ(s.table.rows[0][3], "0.41");  // activation GiB
  EXPECT_EQ(s.table.rows[2][8], "no, oom held (-0.26 GiB)");
}

TEST(SeedReport, QuickTrialsCannotCheck7bClaims) {
  auto in = Inputs();
  in.quick = true;
  in.trials[SeedPart::kBudget] = {Row("optimised",
                                      {{"model.preset", "tiny"}, {"hardware.device", "cpu"}},
                                      {{std::string(result::kDevicePeakBytes), 4e8}})};
  const auto report = BuildSeedReport(in);
  for (const auto& c : Section(report, "Memory budget").claims) {
    EXPECT_EQ(c.verdict.verdict, SeedVerdict::kCannotCheck) << c.claim;
    EXPECT_FALSE(c.verdict.reason.empty()) << c.claim;
  }
  EXPECT_NE(Section(report, "Memory budget").claims[0].verdict.reason.find("tiny"),
            std::string::npos);
}

TEST(SeedReport, QualityAgainstFullFineTuningAtTheSameLength) {
  auto in = Inputs();
  const double jitter[] = {0, 0.01, -0.01};
  for (int s = 0; s < 3; ++s) {
    in.trials[SeedPart::kFullFt].push_back(Smol("full-seq512", s, 512, 3.88, 3.30 + jitter[s]));
    in.trials[SeedPart::kQuality].push_back(Smol("r16", s, 512, 4.13, 3.33 + jitter[s]));
    in.trials[SeedPart::kQuality].push_back(Smol("r4", s, 512, 4.13, 3.60 + 0.01 * s));
  }
  const SeedContext c(in);
  std::string why;
  const auto q = QualityVsFullFt(c, c.Seeds(SeedPart::kQuality, "r16"), &why);
  ASSERT_TRUE(q) << why;
  // Python (statistics): (3.88 - 3.33) / (3.88 - 3.30) = 0.94828; SE 0.013718 from the seeds'
  // sample standard deviations (0.01 each) over sqrt(3), first order. Tolerance 1e-5.
  EXPECT_NEAR(q->mean, 0.948276, 1e-5);
  ASSERT_TRUE(q->se);
  EXPECT_NEAR(*q->se, 0.013718, 1e-5);
  const auto report = BuildSeedReport(in);
  const auto full = Section(report, "Quality vs full fine-tuning");
  EXPECT_EQ(full.claims[0].verdict.verdict, SeedVerdict::kHolds) << full.claims[0].verdict.reason;
  const auto rank = Section(report, "LoRA rank");
  // r4: (3.88 - 3.61) / 0.58 = 0.47 against 85-90%.
  EXPECT_NE(rank.claims[0].verdict.reason.find("quality: does not hold"), std::string::npos)
      << rank.claims[0].verdict.reason;
}

TEST(SeedReport, WithoutFullFineTuningItsSectionSaysTheTrialTypeIsMissing) {
  auto in = Inputs();
  in.skipped[SeedPart::kFullFt] = "this build's trial schema has no train.method: full";
  for (int s = 0; s < 2; ++s)
    in.trials[SeedPart::kQuality].push_back(Smol("r16", s, 512, 4.1, 3.3));
  const auto report = BuildSeedReport(in);
  for (const auto& c : Section(report, "Quality vs full fine-tuning").claims) {
    EXPECT_EQ(c.verdict.verdict, SeedVerdict::kCannotCheck);
    EXPECT_NE(c.verdict.reason.find("full fine-tuning trial type missing"), std::string::npos)
        << c.verdict.reason;
  }
}

TEST(SeedReport, OtherClaimsCompareEachConfigurationWithTheBaseline) {
  auto in = Inputs();
  auto& claims = in.trials[SeedPart::kClaims];
  for (int s = 0; s < 3; ++s) {
    const double jitter = 0.01 * (s - 1);
    claims.push_back(Smol("baseline", s, 512, 4.13, 3.44 + jitter));
    claims.push_back(Smol("adamw-32bit", s, 512, 4.13, 3.54 + jitter));  // beyond the noise
    claims.push_back(Smol("no-checkpointing", s, 512, 4.13, 3.445 + jitter));
    claims.push_back(Smol("base-16bit", s, 512, 3.88, 3.35 + jitter));
    claims.push_back(Smol("batch16", s, 512, 4.13, 3.50 + jitter));
    claims.push_back(Smol("accum16", s, 512, 4.13, 3.50 + jitter));
  }
  const auto report = BuildSeedReport(in);
  const auto s = Section(report, "The seed's other claims");
  std::map<std::string, SeedVerdict> by_claim;
  for (const auto& c : s.claims) by_claim[c.claim] = c.verdict.verdict;
  EXPECT_EQ(by_claim.at("accumulation 16 is identical to batch 16"), SeedVerdict::kHolds);
  EXPECT_EQ(by_claim.at("the 8-bit optimizer has no measurable impact"), SeedVerdict::kDoesNotHold);
  EXPECT_EQ(by_claim.at("gradient checkpointing has no quality impact"), SeedVerdict::kHolds);
  // (3.88 - 3.44) / (3.88 - 3.35) = 0.83 of the 16-bit gain: not 99%.
  EXPECT_EQ(by_claim.at("NF4 keeps 99% of quality (of the 16-bit base's gain; re-quantized base)"),
            SeedVerdict::kDoesNotHold);
  EXPECT_EQ(by_claim.at("bf16 is more stable than fp16 (with loss scaling)"),
            SeedVerdict::kCannotCheck);  // no fp16 trial
  // The re-quantization cost is stated: 4.13 - 3.88 nats.
  bool labelled = false;
  for (const auto& note : s.notes) labelled |= note.find("+0.2500 nats") != std::string::npos;
  EXPECT_TRUE(labelled);
}

TEST(SeedReport, Fp16IsJudgedAsTheSeedStatesItOnceTheTrainerScalesItsLoss) {
  for (const bool scaled : {false, true}) {
    auto in = Inputs();
    for (int s = 0; s < 3; ++s) {
      in.trials[SeedPart::kClaims].push_back(Smol("baseline", s, 512, 4.13, 3.44 + 0.01 * s));
      auto fp16 = Smol("fp16", s, 512, 4.13, 3.60 + 0.01 * s);  // worse beyond the noise
      if (scaled) fp16.results["final_loss_scale"] = 32768;     // what a scaling trainer records
      in.trials[SeedPart::kClaims].push_back(fp16);
    }
    const auto report = BuildSeedReport(in);
    const auto s = Section(report, "The seed's other claims");
    for (const auto& c : s.claims) {
      if (!c.claim.starts_with("bf16")) continue;
      EXPECT_EQ(c.verdict.verdict, scaled ? SeedVerdict::kHolds : SeedVerdict::kCannotCheck)
          << c.verdict.reason;
    }
  }
}

TEST(SeedReport, BatchTimesAreRelativeTo1x32AndSpeedIsPerOptimizerStep) {
  auto in = Inputs();
  const auto batch = [](const std::string& name, int mb, int accum, double tps) {
    auto t = Gpu7b(name, 2048,
                   {{std::string(result::kTokensPerS), tps},
                    {std::string(result::kDevicePeakBytes), 6.3 * kGiB}});
    t.params["train.micro_batch"] = std::to_string(mb);
    t.params["train.grad_accum"] = std::to_string(accum);
    return t;
  };
  in.trials[SeedPart::kBatch] = {batch("b1x32", 1, 32, 3000), batch("b2x8", 2, 8, 4660)};
  in.trials[SeedPart::kSpeed] = {batch("r16-seq2048", 1, 16, 7665)};
  const auto report = BuildSeedReport(in);
  const auto b = Section(report, "Micro-batch");
  EXPECT_EQ(b.table.rows[3][4], "64%");   // 3000 / 4660 of 1x32's time per sample
  EXPECT_EQ(b.table.rows[3][6], "7.03");  // 2 x 8 x 2048 tokens at 4660 tokens/s
  EXPECT_NE(b.claims[3].verdict.reason.find("time: does not hold"), std::string::npos)
      << b.claims[3].verdict.reason;
  const auto s = Section(report, "Training speed");
  EXPECT_EQ(s.table.rows[0][2], "0.234");  // 7665 / (16 x 2048) steps/s on the GPU used
  EXPECT_EQ(s.table.rows[0][4], "44.5");   // 10,000 x 2048 / 7665 / 60 minutes per epoch
  EXPECT_EQ(s.claims[0].verdict.verdict, SeedVerdict::kDoesNotHold);  // 26,214 > 601 tokens/s
  EXPECT_EQ(s.claims[2].verdict.verdict, SeedVerdict::kCannotCheck);  // no held trial
}

TEST(SeedReport, EveryPageHasEverySectionAndTheUndefinedColumnsNote) {
  const auto report = BuildSeedReport(Inputs());
  ASSERT_EQ(report.sections.size(), 8u);
  const auto md = SeedReportMarkdown(report, "/nonexistent");
  const auto html = SeedReportHtml(report, "/nonexistent");
  for (const auto& s : report.sections) {
    EXPECT_NE(md.find("## " + s.title), std::string::npos) << s.title;
    EXPECT_NE(html.find(s.title.substr(0, 20)), std::string::npos) << s.title;
    EXPECT_FALSE(s.claims.empty()) << s.title;
    for (const auto& c : s.claims) EXPECT_FALSE(c.verdict.reason.empty()) << c.claim;
  }
  EXPECT_NE(md.find("not defined anywhere in the seed report"), std::string::npos);
  EXPECT_NE(md.find("min/epoch (fast end"), std::string::npos);  // projected onto the profile
}

}  // namespace
}  // namespace qlsweep::analysis
