// Tokenizing documents with loss masks and packing them into fixed-length rows with next-token
// labels.
#pragma once

#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include "trainer/data/documents.h"
#include "trainer/data/text_encoder.h"

namespace qlsweep::trainer {

// A document's token ids, ending with EOS, and whether each token is a loss target.
struct TokenizedDocument {
  std::vector<int64_t> ids;
  std::vector<uint8_t> target;  // 1 = the model is trained to predict this token
};

// Prompt tokens are not targets; response tokens and the closing EOS are. Pre-tokenized documents
// are all targets. `encoder` may be null only for pre-tokenized documents.
TokenizedDocument TokenizeDocument(const Document& doc, const TextEncoder* encoder, int64_t eos_id);

struct PackedRows {
  torch::Tensor tokens;  // [N, T] int64
  torch::Tensor labels;  // [N, T] int64: labels[n, t] = next token, or -100 when not a target
};

// Concatenates the documents (each already ends in EOS) into one stream and cuts it into rows of
// `seq_len` tokens. labels[n, t] is the stream token after tokens[n, t] (crossing row ends, so no
// target is lost) when that token is a target, else -100. The last row is padded with `pad_id`
// and -100 labels. Documents are not separated inside a row beyond their EOS (no attention mask).
PackedRows PackDocuments(const std::vector<TokenizedDocument>& docs, int64_t seq_len,
                         int64_t pad_id);

}  // namespace qlsweep::trainer
