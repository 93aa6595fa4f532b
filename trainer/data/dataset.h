// OpenDataset: reads a data file (jsonl, text or tokens), splits, tokenizes and packs it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "trainer/data/packed_source.h"
#include "trainer/data/text_encoder.h"

namespace qlsweep::trainer {

// Mirrors the data.* keys of a trial config plus what the trainer knows (micro_batch, seed).
struct DatasetOptions {
  std::string source;  // "jsonl" (instruction records), "text" (plain text), "tokens" (id lines)
  std::string path;
  int64_t seq_len = 512;
  double eval_fraction = 0.05;             // share of documents held out, chosen by content hash
  std::string prompt_template = "alpaca";  // jsonl only
  std::string separator;                   // text only: separator line; empty = blank lines
  int64_t micro_batch = 1;
  uint64_t seed = 0;
  int64_t eos_id = -1;  // tokens without an encoder: the EOS id appended to each document
  int64_t vocab = 0;    // > 0: every token id must be below it
};

// Every error is a std::runtime_error naming the file (and line, for a broken line): missing file,
// unknown source, no documents, no training documents, token id out of range.
// `encoder` may be null for source "tokens" (then options.eos_id is used).
std::unique_ptr<PackedSource> OpenDataset(const DatasetOptions& options,
                                          const TextEncoder* encoder);

}  // namespace qlsweep::trainer
