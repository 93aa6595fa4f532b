// Runs a read that a damaged file can make loop forever (inside libhdf5) in a child process with a
// deadline, so the caller gets an answer or an error instead of a hang.
#pragma once

#include <chrono>
#include <functional>
#include <string>

namespace qlsweep::storage {

// Runs produce() in a forked child and returns what it returned. When produce() throws, throws
// StorageError with its message; when the child has not answered within `deadline` it is killed
// and StorageError "<what> did not finish within N s (the file is damaged ...)" is thrown; a child
// that dies of a signal is reported too. produce() must only read (its effects stay in the child).
std::string CallInChild(const std::function<std::string()>& produce,
                        std::chrono::milliseconds deadline, const std::string& what);

// A function run first in every child of CallInChild (null: none). The fuzz harness uses it to
// detach libFuzzer's crash handling there: a memory error that libhdf5 makes on a damaged file
// stays in the child and comes back as an error, as it does in the product.
void SetChildStartHook(void (*hook)());

}  // namespace qlsweep::storage
