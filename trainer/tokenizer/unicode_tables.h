// Code point range tables for the Unicode categories the pre-tokenizers need (generated data).
#pragma once

#include <span>

namespace qlsweep::trainer {

// An inclusive range of code points; the tables are sorted and disjoint.
struct CodepointRange {
  char32_t lo;
  char32_t hi;
};

// General category L (Lu, Ll, Lt, Lm, Lo), as in the regex class \p{L}.
std::span<const CodepointRange> LetterRanges();
// General category N (Nd, Nl, No), as in \p{N} and Rust's char::is_numeric.
std::span<const CodepointRange> NumberRanges();

}  // namespace qlsweep::trainer
