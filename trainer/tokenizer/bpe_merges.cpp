// The BPE merge loop: adjacent symbol pairs merge by rank, lowest first, leftmost among equals.
#include "trainer/tokenizer/bpe_merges.h"

#include <queue>

namespace qlsweep::trainer {

namespace {

uint64_t Key(int32_t left, int32_t right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}

size_t Hash(uint64_t key, size_t mask) {
  return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> 20) & mask;
}

// A candidate merge of the symbol at `pos` with its right neighbour, as they were when queued.
struct Candidate {
  int32_t rank;
  int32_t pos;
  int32_t left;
  int32_t right;
  int32_t merged;
  bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
};

}  // namespace

void BpeMerges::Add(int32_t left, int32_t right, int32_t merged, int32_t rank) {
  if (2 * (size_ + 1) > slots_.size()) Grow();
  const uint64_t key = Key(left, right);
  const size_t mask = slots_.size() - 1;
  for (size_t i = Hash(key, mask);; i = (i + 1) & mask) {
    if (slots_[i].merged < 0) {
      slots_[i] = {key, rank, merged};
      ++size_;
      return;
    }
    if (slots_[i].key == key) return;  // keeps the first (lowest) rank
  }
}

void BpeMerges::Grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.empty() ? 1024 : 2 * old.size(), Slot{0, 0, -1});
  size_ = 0;
  for (const Slot& s : old) {
    if (s.merged >= 0) {
      Add(static_cast<int32_t>(s.key >> 32), static_cast<int32_t>(s.key & 0xFFFFFFFFu), s.merged,
          s.rank);
    }
  }
}

const BpeMerges::Slot* BpeMerges::Find(int32_t left, int32_t right) const {
  if (size_ == 0) return nullptr;
  const uint64_t key = Key(left, right);
  const size_t mask = slots_.size() - 1;
  for (size_t i = Hash(key, mask);; i = (i + 1) & mask) {
    if (slots_[i].merged < 0) return nullptr;
    if (slots_[i].key == key) return &slots_[i];
  }
}

// Short words: scan for the lowest-ranked pair (leftmost among equals) and merge it, until none
// is left. Quadratic, but no allocation; the same order as the queue below.
void BpeMerges::ApplyShort(std::vector<int32_t>& symbols) const {
  while (symbols.size() > 1) {
    const Slot* best = nullptr;
    size_t best_pos = 0;
    for (size_t i = 0; i + 1 < symbols.size(); ++i) {
      const Slot* m = Find(symbols[i], symbols[i + 1]);
      if (m != nullptr && (best == nullptr || m->rank < best->rank)) {
        best = m;
        best_pos = i;
      }
    }
    if (best == nullptr) return;
    symbols[best_pos] = best->merged;
    symbols.erase(symbols.begin() + best_pos + 1);
  }
}

void BpeMerges::Apply(std::vector<int32_t>& symbols) const {
  const int32_t n = static_cast<int32_t>(symbols.size());
  if (n < 2) return;
  if (n <= kShortWord) {
    ApplyShort(symbols);
    return;
  }
  // A doubly linked list over the positions; a merged-away symbol gets id -1.
  std::vector<int32_t> prev(n), next(n);
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> queue;
  for (int32_t i = 0; i < n; ++i) {
    prev[i] = i - 1;
    next[i] = i + 1 < n ? i + 1 : -1;
    if (i + 1 < n) {
      if (const Slot* m = Find(symbols[i], symbols[i + 1])) {
        queue.push({m->rank, i, symbols[i], symbols[i + 1], m->merged});
      }
    }
  }
  const auto push = [&](int32_t pos) {
    if (pos < 0 || next[pos] < 0) return;
    if (const Slot* m = Find(symbols[pos], symbols[next[pos]])) {
      queue.push({m->rank, pos, symbols[pos], symbols[next[pos]], m->merged});
    }
  };
  while (!queue.empty()) {
    const Candidate c = queue.top();
    queue.pop();
    const int32_t right = next[c.pos];
    // Stale when either side has merged since it was queued.
    if (symbols[c.pos] != c.left || right < 0 || symbols[right] != c.right) continue;
    symbols[c.pos] = c.merged;
    symbols[right] = -1;
    next[c.pos] = next[right];
    if (next[right] >= 0) prev[next[right]] = c.pos;
    push(prev[c.pos]);
    push(c.pos);
  }
  size_t out = 0;
  for (int32_t i = 0; i >= 0 && i < n; i = next[i]) symbols[out++] = symbols[i];
  symbols.resize(out);
}

}  // namespace qlsweep::trainer
