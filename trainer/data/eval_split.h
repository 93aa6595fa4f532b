// The held-out evaluation split: chosen per document by a hash of its content, not its position.
#pragma once

#include <cstdint>

#include "trainer/data/documents.h"

namespace qlsweep::trainer {

// 64-bit FNV-1a over the document's content (prompt, response and ids; not its line), so the same
// document gets the same hash whatever file order or position it has.
uint64_t DocumentHash(const Document& doc);

// True when the document belongs to the eval split: its hash, as a fraction of 2^64, is below
// `eval_fraction` (so about that share of distinct documents is held out; duplicates go together).
bool InEvalSplit(const Document& doc, double eval_fraction);

}  // namespace qlsweep::trainer
