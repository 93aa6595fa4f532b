// Document tokenization with prompt masks, and packing into rows of seq_len.
#include "trainer/data/packing.h"

#include <stdexcept>

namespace qlsweep::trainer {

TokenizedDocument TokenizeDocument(const Document& doc, const TextEncoder* encoder,
                                   int64_t eos_id) {
  TokenizedDocument out;
  if (doc.pretokenized) {
    out.ids = doc.ids;
    out.target.assign(out.ids.size(), 1);
  } else {
    if (encoder == nullptr) throw std::invalid_argument("text documents need a TextEncoder");
    if (!doc.prompt.empty()) {
      out.ids = encoder->Encode(doc.prompt);
      out.target.assign(out.ids.size(), 0);
    }
    const std::vector<int64_t> response = encoder->Encode(doc.response);
    out.ids.insert(out.ids.end(), response.begin(), response.end());
    out.target.resize(out.ids.size(), 1);
  }
  out.ids.push_back(eos_id);
  out.target.push_back(1);
  return out;
}

PackedRows PackDocuments(const std::vector<TokenizedDocument>& docs, int64_t seq_len,
                         int64_t pad_id) {
  if (seq_len < 1) throw std::invalid_argument("seq_len must be positive");
  std::vector<int64_t> ids;
  std::vector<uint8_t> target;
  for (const auto& d : docs) {
    ids.insert(ids.end(), d.ids.begin(), d.ids.end());
    target.insert(target.end(), d.target.begin(), d.target.end());
  }
  const auto total = static_cast<int64_t>(ids.size());
  const int64_t rows = (total + seq_len - 1) / seq_len;
  auto tokens = torch::full({rows, seq_len}, pad_id, torch::kInt64);
  auto labels = torch::full({rows, seq_len}, -100, torch::kInt64);
  int64_t* tok = tokens.data_ptr<int64_t>();
  int64_t* lab = labels.data_ptr<int64_t>();
  for (int64_t i = 0; i < total; ++i) {
    tok[i] = ids[static_cast<size_t>(i)];
    if (i + 1 < total && target[static_cast<size_t>(i + 1)] != 0) {
      lab[i] = ids[static_cast<size_t>(i + 1)];
    }
  }
  return {tokens, labels};
}

}  // namespace qlsweep::trainer
