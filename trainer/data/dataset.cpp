// Data file -> documents -> hash split -> tokens with masks -> packed rows -> PackedSource.
#include "trainer/data/dataset.h"

#include <stdexcept>

#include "trainer/data/eval_split.h"

namespace qlsweep::trainer {
namespace {

std::vector<Document> ReadDocuments(const DatasetOptions& o) {
  if (o.source == "jsonl") return ReadJsonlDocuments(o.path, o.prompt_template);
  if (o.source == "text") return ReadTextDocuments(o.path, o.separator);
  if (o.source == "tokens") return ReadTokenDocuments(o.path);
  throw std::runtime_error(o.path + ": unknown data source '" + o.source +
                           "' (known: jsonl, text, tokens)");
}

}  // namespace

std::unique_ptr<PackedSource> OpenDataset(const DatasetOptions& o, const TextEncoder* encoder) {
  if (encoder == nullptr && o.source != "tokens") {
    throw std::invalid_argument(o.path + ": data source '" + o.source + "' needs a tokenizer");
  }
  const int64_t eos = encoder != nullptr ? encoder->eos_id() : o.eos_id;
  if (eos < 0) throw std::invalid_argument(o.path + ": no EOS id for pre-tokenized data");
  const std::vector<Document> docs = ReadDocuments(o);
  if (docs.empty()) throw std::runtime_error(o.path + ": no documents in the data file");
  std::vector<TokenizedDocument> train, eval;
  for (const Document& d : docs) {
    TokenizedDocument t = TokenizeDocument(d, encoder, eos);
    if (o.vocab > 0) {
      for (int64_t id : t.ids) {
        if (id >= o.vocab) {
          throw std::runtime_error(o.path + ":" + std::to_string(d.line) + ": token id " +
                                   std::to_string(id) + " is outside the vocabulary of " +
                                   std::to_string(o.vocab));
        }
      }
    }
    (InEvalSplit(d, o.eval_fraction) ? eval : train).push_back(std::move(t));
  }
  if (train.empty()) {
    throw std::runtime_error(o.path + ": all " + std::to_string(docs.size()) +
                             " documents fell in the eval split; lower data.eval_fraction");
  }
  PackedRows eval_rows = eval.empty() ? PackedRows{torch::empty({0, o.seq_len}, torch::kInt64),
                                                   torch::empty({0, o.seq_len}, torch::kInt64)}
                                      : PackDocuments(eval, o.seq_len, eos);
  return std::make_unique<PackedSource>(PackDocuments(train, o.seq_len, eos), std::move(eval_rows),
                                        o.micro_batch, o.seed, o.path);
}

}  // namespace qlsweep::trainer
