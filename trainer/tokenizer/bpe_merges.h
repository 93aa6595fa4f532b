// The BPE merge loop: adjacent symbol pairs merge by rank, lowest first, leftmost among equals.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace qlsweep::trainer {

class BpeMerges {
 public:
  // Registers that the pair (left, right) merges into `merged` with priority `rank` (lower
  // merges first). A pair registered twice keeps its first (lowest) rank.
  void Add(int32_t left, int32_t right, int32_t merged, int32_t rank);
  size_t size() const { return size_; }

  // Merges the symbols of one word in place until no adjacent pair has a merge. A priority
  // queue over the pairs makes this O(n log n) in the word's length.
  void Apply(std::vector<int32_t>& symbols) const;

 private:
  struct Slot {
    uint64_t key;
    int32_t rank;
    int32_t merged;  // -1: empty slot
  };
  // The merge of (left, right), or nullptr. An open-addressing table (linear probing, power-of-two
  // capacity at most half full): the merge loop does a lookup per pair, so this is the hot path.
  const Slot* Find(int32_t left, int32_t right) const;
  void Grow();
  void ApplyShort(std::vector<int32_t>& symbols) const;
  static constexpr int32_t kShortWord = 16;

  std::vector<Slot> slots_;
  size_t size_ = 0;
};

}  // namespace qlsweep::trainer
