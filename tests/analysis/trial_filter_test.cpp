// --where conditions: parsing, numeric and text comparisons, and errors.
#include "analysis/trial_filter.h"

#include <gtest/gtest.h>

namespace qlsweep::analysis {
namespace {

storage::TrialRow Row(const std::string& r, const std::string& quant) {
  storage::TrialRow row;
  row.id = "t" + r;
  row.params = {{"lora.r", r}, {"quantization.type", quant}, {"lora.alpha", "32.0"}};
  return row;
}

TEST(TrialFilter, ParsesEveryOperatorWithOrWithoutSpaces) {
  EXPECT_EQ(ParseParamCondition("lora.r>=16").op, ">=");
  EXPECT_EQ(ParseParamCondition("lora.r <= 16").op, "<=");
  EXPECT_EQ(ParseParamCondition("lora.r != 16").op, "!=");
  const auto c = ParseParamCondition(" quantization.type = nf4 ");
  EXPECT_EQ(c.key, "quantization.type");
  EXPECT_EQ(c.op, "=");
  EXPECT_EQ(c.value, "nf4");
  EXPECT_THROW(ParseParamCondition("lora.r"), std::invalid_argument);
  EXPECT_THROW(ParseParamCondition(">=16"), std::invalid_argument);
}

TEST(TrialFilter, ComparesNumbersAsNumbersAndTextAsText) {
  const std::vector<storage::TrialRow> rows = {Row("4", "nf4"), Row("16", "none"),
                                               Row("64", "nf4")};
  auto ids = [](const std::vector<storage::TrialRow>& kept) {
    std::string out;
    for (const auto& t : kept) out += t.id + " ";
    return out;
  };
  EXPECT_EQ(ids(FilterTrials(rows, {ParseParamCondition("lora.r>=16")})),
            "t16 t64 ");  // not "4">="16"
  EXPECT_EQ(ids(FilterTrials(rows, {ParseParamCondition("lora.alpha=32")})), "t4 t16 t64 ");
  EXPECT_EQ(ids(FilterTrials(rows, {ParseParamCondition("quantization.type=nf4"),
                                    ParseParamCondition("lora.r<64")})),
            "t4 ");
  EXPECT_EQ(ids(FilterTrials(rows, {ParseParamCondition("no.such.key=1")})), "");
}

}  // namespace
}  // namespace qlsweep::analysis
