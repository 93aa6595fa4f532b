// Unit tests of the data pipeline: readers, prompt template, masks, packing, the hash eval split,
// PackedSource batching and the errors that name file and line.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "tests/support/expect_error.h"
#include "tests/support/scratch.h"
#include "trainer/data/dataset.h"
#include "trainer/data/documents.h"
#include "trainer/data/eval_split.h"
#include "trainer/data/packing.h"
#include "trainer/data/prompt_template.h"
#include "trainer/data/synthetic.h"

namespace qlsweep::trainer {
namespace {

const std::string kData = std::string(QLSWEEP_SOURCE_DIR) + "/tests/assets/data/";

// Byte-level encoder: each byte of the UTF-8 text is one id (0..255); EOS is 256.
class ByteEncoder : public TextEncoder {
 public:
  std::vector<int64_t> Encode(const std::string& text) const override {
    std::vector<int64_t> ids;
    for (unsigned char c : text) ids.push_back(c);
    return ids;
  }
  int64_t eos_id() const override { return 256; }
};

std::string TempFile(const std::string& name, const std::string& content) {
  const std::string path = qlsweep::testing::ScratchPath("data/" + name);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
  return path;
}

using qlsweep::testing::ExpectError;

TEST(PromptTemplate, AlpacaWithAndWithoutInput) {
  EXPECT_EQ(FormatPrompt("alpaca", "Add 2 and 3.", ""),
            "Below is an instruction that describes a task. Write a response that appropriately "
            "completes the request.\n\n### Instruction:\nAdd 2 and 3.\n\n### Response:\n");
  EXPECT_EQ(FormatPrompt("alpaca", "Translate.", "chat"),
            "Below is an instruction that describes a task, paired with an input that provides "
            "further context. Write a response that appropriately completes the request.\n\n"
            "### Instruction:\nTranslate.\n\n### Input:\nchat\n\n### Response:\n");
  EXPECT_EQ(FormatPrompt("none", "Q?", ""), "Q?");
  ExpectError([] { FormatPrompt("vicuna", "x", ""); }, {"vicuna", "alpaca"});
}

TEST(Documents, ReadsJsonlInstructionForms) {
  const auto docs = ReadJsonlDocuments(kData + "riddles.jsonl", "alpaca");
  ASSERT_EQ(docs.size(), 10u);
  EXPECT_EQ(docs[0].response, "Who were the Democratic presidential candidates?");
  EXPECT_NE(docs[0].prompt.find("### Input:\nDoc, Happy"), std::string::npos);
  EXPECT_EQ(docs[0].line, 1);
  EXPECT_EQ(docs[7].prompt, FormatPrompt("alpaca", "Finish the knock-knock joke.", ""));
  EXPECT_EQ(docs[8].prompt, FormatPrompt("alpaca", "Who's there?", ""));
  EXPECT_EQ(docs[8].response, "Little ol' lady.");
  EXPECT_EQ(docs[9].prompt, "");  // {"text": ...}: all in the loss
  EXPECT_EQ(docs[9].response, "A light wife doth make a heavy husband.");
}

TEST(Documents, BrokenJsonlLinesNameFileAndLine) {
  const std::string good = R"({"prompt": "a", "response": "b"})";
  std::string path = TempFile("broken.jsonl", good + "\n\n" + R"({"prompt": "a", "resp)" + "\n");
  ExpectError([&] { ReadJsonlDocuments(path, "alpaca"); }, {path + ":3:", "invalid JSON"});
  path = TempFile("fields.jsonl", good + "\n" + R"({"question": "a"})" + "\n");
  ExpectError([&] { ReadJsonlDocuments(path, "alpaca"); },
              {path + ":2:", "instruction/input/output"});
  path = TempFile("type.jsonl", R"({"instruction": "a", "output": 5})"
                                "\n");
  ExpectError([&] { ReadJsonlDocuments(path, "alpaca"); }, {path + ":1:", "'output'"});
  path = TempFile("array.jsonl", "[1, 2]\n");
  ExpectError([&] { ReadJsonlDocuments(path, "alpaca"); }, {path + ":1:", "JSON object"});
  path = TempFile("noout.jsonl", R"({"instruction": "a"})"
                                 "\n");
  ExpectError([&] { ReadJsonlDocuments(path, "alpaca"); }, {path + ":1:", "without 'output'"});
  ExpectError([&] { ReadJsonlDocuments(kData + "missing.jsonl", "alpaca"); },
              {kData + "missing.jsonl", "cannot open"});
}

TEST(Documents, NumbersTooLargeForADoubleAreInvalidJsonWithFileAndLine) {
  // Found by fuzz/jsonl: nlohmann::json throws out_of_range (not parse_error) for such a number,
  // which escaped as a raw library exception without the file or line.
  const std::string huge = "4.7E6666666666";
  std::string path = TempFile("huge.jsonl", R"({"text": "a", "n": )" + huge + "}\n");
  ExpectError([&] { ReadJsonlDocuments(path, "alpaca"); }, {path + ":1:", "invalid JSON"});
  path = TempFile("huge.tokens", "[1, 2]\n[485, " + huge + "]\n");
  ExpectError([&] { ReadTokenDocuments(path); }, {path + ":2:", "invalid JSON"});
}

TEST(Documents, ReadsTextWithSeparatorOrBlankLines) {
  const auto fortunes = ReadTextDocuments(kData + "fortunes-literature.txt", "%");
  ASSERT_EQ(fortunes.size(), 10u);
  EXPECT_EQ(fortunes[0].response,
            "A banker is a fellow who lends you his umbrella when the sun is shining\n"
            "and wants it back the minute it begins to rain.\n\t\t-- Mark Twain");
  EXPECT_EQ(fortunes[1].line, 5);
  const std::string path =
      TempFile("blank.txt", "\n\nfirst doc\nline two\r\n\n  \n\nsecond\n\n\nthird\nend");
  const auto docs = ReadTextDocuments(path, "");
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs[0].response, "first doc\nline two");
  EXPECT_EQ(docs[0].line, 3);
  EXPECT_EQ(docs[1].response, "second");
  EXPECT_EQ(docs[2].response, "third\nend");
}

TEST(Documents, ReadsTokenLinesAndRejectsBadOnes) {
  const auto docs = ReadTokenDocuments(kData + "tokens.jsonl");
  ASSERT_EQ(docs.size(), 12u);
  EXPECT_TRUE(docs[0].pretokenized);
  EXPECT_EQ(docs[0].ids.front(), 485);
  for (const std::string bad : {"[1, -2]", "[1, \"a\"]", "{}", "[]", "[1.5]", "[1, 2"}) {
    const std::string path = TempFile("bad.tokens", "[1, 2]\n" + bad + "\n");
    ExpectError([&] { ReadTokenDocuments(path); }, {path + ":2:"});
  }
}

TEST(Packing, PromptTokensAreNotTargets) {
  ByteEncoder enc;
  Document d;
  d.prompt = "ab";
  d.response = "c";
  const TokenizedDocument t = TokenizeDocument(d, &enc, enc.eos_id());
  EXPECT_EQ(t.ids, (std::vector<int64_t>{'a', 'b', 'c', 256}));
  EXPECT_EQ(t.target, (std::vector<uint8_t>{0, 0, 1, 1}));
  Document ids;
  ids.pretokenized = true;
  ids.ids = {7, 8};
  const TokenizedDocument u = TokenizeDocument(ids, nullptr, 9);
  EXPECT_EQ(u.ids, (std::vector<int64_t>{7, 8, 9}));
  EXPECT_EQ(u.target, (std::vector<uint8_t>{1, 1, 1}));
}

TEST(Packing, ShiftsLabelsAcrossRowsAndMasksPrompts) {
  // Stream 1 2 3 4 5 (targets: . . x x x) cut into rows of 3, padded with 0.
  const std::vector<TokenizedDocument> docs = {{{1, 2, 3}, {0, 0, 1}}, {{4, 5}, {1, 1}}};
  const PackedRows rows = PackDocuments(docs, 3, 0);
  EXPECT_TRUE(torch::equal(rows.tokens, torch::tensor({{1, 2, 3}, {4, 5, 0}}, torch::kInt64)));
  EXPECT_TRUE(
      torch::equal(rows.labels, torch::tensor({{-100, 3, 4}, {5, -100, -100}}, torch::kInt64)));
  EXPECT_EQ(rows.tokens.dtype(), torch::kInt64);
  const PackedRows exact = PackDocuments({{{1, 2, 3, 4}, {1, 1, 1, 1}}}, 2, 0);
  EXPECT_TRUE(torch::equal(exact.labels, torch::tensor({{2, 3}, {4, -100}}, torch::kInt64)));
}

TEST(EvalSplit, DependsOnContentNotOrder) {
  std::vector<Document> docs(2000);
  for (size_t i = 0; i < docs.size(); ++i)
    docs[i].response = "document number " + std::to_string(i);
  std::set<std::string> eval;
  for (const auto& d : docs) {
    if (InEvalSplit(d, 0.2)) eval.insert(d.response);
    EXPECT_FALSE(InEvalSplit(d, 0.0));
    EXPECT_TRUE(InEvalSplit(d, 1.0));
  }
  EXPECT_GT(eval.size(), 330u);  // 400 expected; binomial sd 18
  EXPECT_LT(eval.size(), 470u);
  std::reverse(docs.begin(), docs.end());
  for (auto& d : docs) {
    d.line = 12345;  // position does not matter
    EXPECT_EQ(InEvalSplit(d, 0.2), eval.count(d.response) == 1);
  }
  Document a, b;
  a.prompt = "ab";
  a.response = "c";
  b.prompt = "a";
  b.response = "bc";
  EXPECT_NE(DocumentHash(a), DocumentHash(b));
}

DatasetOptions RiddleOptions() {
  DatasetOptions o;
  o.source = "jsonl";
  o.path = kData + "riddles.jsonl";
  o.seq_len = 64;
  o.eval_fraction = 0.3;
  o.micro_batch = 2;
  o.seed = 5;
  return o;
}

// Counts label positions that are targets, and checks each equals the next token.
int64_t CheckLabels(const Batch& b) {
  const int64_t T = b.tokens.size(1);
  auto next = b.tokens.narrow(1, 1, T - 1);
  auto lab = b.labels.narrow(1, 0, T - 1);
  auto mask = lab.ne(-100);
  EXPECT_TRUE(torch::equal(lab.masked_select(mask), next.masked_select(mask)));
  return b.labels.ne(-100).sum().item<int64_t>();
}

TEST(Dataset, OnlyResponseTokensAndEosAreTargets) {
  ByteEncoder enc;
  // The riddles without the {"text"} record (whose first byte is a target with no token before it).
  std::ifstream in(kData + "riddles.jsonl");
  std::string line, prompted;
  for (int i = 0; i < 9 && std::getline(in, line); ++i) prompted += line + "\n";
  DatasetOptions o = RiddleOptions();
  o.path = TempFile("prompted.jsonl", prompted);
  auto src = OpenDataset(o, &enc);
  ASSERT_GT(src->eval_rows(), 0);
  ASSERT_GT(src->train_rows(), 0);
  // Every response byte and every EOS is a target exactly once over both splits.
  int64_t want = 0;
  for (const auto& d : ReadJsonlDocuments(o.path, "alpaca")) {
    want += static_cast<int64_t>(d.response.size()) + 1;
  }
  // Count each row once: micro-batches of one row, one pass over each split.
  int64_t got = 0;
  DatasetOptions one = o;
  one.micro_batch = 1;
  auto single = OpenDataset(one, &enc);
  for (int64_t i = 0; i < single->eval_rows(); ++i) got += CheckLabels(single->Eval(i, 1));
  for (int64_t i = 0; i < single->train_rows(); ++i) got += CheckLabels(single->NextTrain());
  EXPECT_EQ(got, want);
}

TEST(Dataset, TrainOrderIsSeededAndCoversEveryRowPerEpoch) {
  ByteEncoder enc;
  DatasetOptions o;
  o.source = "text";
  o.separator = "%";
  o.path = kData + "fortunes-literature.txt";
  o.seq_len = 32;
  o.eval_fraction = 0.2;
  o.micro_batch = 1;
  o.seed = 11;
  auto a = OpenDataset(o, &enc);
  auto b = OpenDataset(o, &enc);
  const int64_t n = a->train_rows();
  ASSERT_GT(n, 4);
  std::vector<torch::Tensor> epoch0, epoch1;
  for (int64_t i = 0; i < n; ++i) {
    epoch0.push_back(a->NextTrain().tokens);
    EXPECT_TRUE(torch::equal(epoch0.back(), b->NextTrain().tokens));
  }
  for (int64_t i = 0; i < n; ++i) epoch1.push_back(a->NextTrain().tokens);
  auto sorted = [](std::vector<torch::Tensor> rows) {
    auto all = torch::cat(rows);
    std::vector<std::vector<int64_t>> v;
    for (int64_t r = 0; r < all.size(0); ++r) {
      v.emplace_back(all[r].data_ptr<int64_t>(), all[r].data_ptr<int64_t>() + all.size(1));
    }
    std::sort(v.begin(), v.end());
    return v;
  };
  EXPECT_EQ(sorted(epoch0), sorted(epoch1));  // each epoch is a permutation of all rows
  EXPECT_FALSE(torch::equal(torch::cat(epoch0), torch::cat(epoch1)));  // reshuffled
  ASSERT_GE(a->EvalRows(), 2);
  EXPECT_TRUE(torch::equal(a->Eval(0, 2).tokens, a->Eval(0, 2).tokens));
  EXPECT_TRUE(torch::equal(a->Eval(0, 2).tokens[1], a->Eval(1, 1).tokens[0]));  // rows, not batches
  EXPECT_THROW(a->Eval(a->EvalRows() - 1, 2), std::runtime_error);
  o.seed = 12;
  auto c = OpenDataset(o, &enc);
  std::vector<torch::Tensor> other;
  for (int64_t i = 0; i < n; ++i) other.push_back(c->NextTrain().tokens);
  EXPECT_FALSE(torch::equal(torch::cat(epoch0), torch::cat(other)));
}

TEST(Dataset, PretokenizedIdsWithoutEncoder) {
  DatasetOptions o;
  o.source = "tokens";
  o.path = kData + "tokens.jsonl";
  o.seq_len = 16;
  o.eval_fraction = 0.25;
  o.micro_batch = 3;
  o.eos_id = 500;
  auto src = OpenDataset(o, nullptr);
  const Batch b = src->NextTrain();
  EXPECT_EQ(b.tokens.sizes().vec(), (std::vector<int64_t>{3, 16}));
  EXPECT_EQ(b.labels.sizes().vec(), (std::vector<int64_t>{3, 16}));
  CheckLabels(b);
  o.vocab = 400;
  ExpectError([&] { OpenDataset(o, nullptr); }, {o.path + ":", "outside the vocabulary of 400"});
  o.vocab = 0;
  o.eos_id = -1;
  ExpectError([&] { OpenDataset(o, nullptr); }, {o.path, "EOS"});
}

TEST(Dataset, Errors) {
  ByteEncoder enc;
  DatasetOptions o = RiddleOptions();
  o.path = kData + "nope.jsonl";
  ExpectError([&] { OpenDataset(o, &enc); }, {o.path, "cannot open"});
  o = RiddleOptions();
  o.source = "parquet";
  ExpectError([&] { OpenDataset(o, &enc); }, {o.path, "parquet"});
  o = RiddleOptions();
  o.eval_fraction = 1.0;
  ExpectError([&] { OpenDataset(o, &enc); }, {o.path, "eval split"});
  o = RiddleOptions();
  o.path = TempFile("empty.jsonl", "\n\n");
  ExpectError([&] { OpenDataset(o, &enc); }, {o.path, "no documents"});
  o = RiddleOptions();
  o.eval_fraction = 1e-9;
  auto src = OpenDataset(o, &enc);
  EXPECT_EQ(src->eval_rows(), 0);
  ExpectError([&] { src->Eval(0, 1); }, {o.path, "eval split is empty"});
  o = RiddleOptions();
  o.prompt_template = "chatml";
  ExpectError([&] { OpenDataset(o, &enc); }, {"chatml"});
}

}  // namespace
}  // namespace qlsweep::trainer

namespace qlsweep::trainer {
namespace {

// Micro-batch 2 x 1 and 1 x 2 train on the same rows, and eval rows do not depend on batching:
// that is what makes batch x accumulation trials of a sweep comparable.
TEST(Synthetic, RowStreamIndependentOfMicroBatch) {
  SyntheticSource two(64, 16, 2, 5), one(64, 16, 1, 5);
  for (int step = 0; step < 3; ++step) {
    auto pair = two.NextTrain().tokens;
    auto first = one.NextTrain().tokens, second = one.NextTrain().tokens;
    EXPECT_TRUE(torch::equal(pair, torch::cat({first, second})));
  }
  EXPECT_TRUE(torch::equal(two.Eval(0, 4).tokens.narrow(0, 2, 2), one.Eval(2, 2).tokens));
  EXPECT_FALSE(
      torch::equal(two.Eval(0, 2).tokens, SyntheticSource(64, 16, 2, 6).Eval(0, 2).tokens));
}

}  // namespace
}  // namespace qlsweep::trainer
