// TextEncoder: the text -> token ids step the data sources need (a tokenizer adapts to it).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace qlsweep::trainer {

class TextEncoder {
 public:
  virtual ~TextEncoder() = default;
  // Token ids of `text`, without BOS/EOS (the data sources add EOS between documents).
  virtual std::vector<int64_t> Encode(const std::string& text) const = 0;
  virtual int64_t eos_id() const = 0;
};

}  // namespace qlsweep::trainer
