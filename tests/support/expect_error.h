// Error matchers: the message of what a call throws, and a check that it names every given part.
#pragma once

#include <exception>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace qlsweep::testing {

// The message of the `E` that `fn` throws; "" and a test failure when it throws none (an
// exception of another type propagates and fails the test).
template <typename E = std::exception, typename Fn>
std::string ErrorOf(Fn&& fn) {
  try {
    fn();
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error was thrown";
  return "";
}

// Runs `fn`, expecting an `E` whose message contains every one of `parts` (file names, keys,
// values: what a person needs to fix the input).
template <typename E = std::exception, typename Fn>
void ExpectError(Fn&& fn, const std::vector<std::string>& parts) {
  try {
    fn();
    ADD_FAILURE() << "no error; expected one mentioning '" << (parts.empty() ? "" : parts[0])
                  << "'";
  } catch (const E& e) {
    const std::string message = e.what();
    for (const auto& part : parts) {
      EXPECT_NE(message.find(part), std::string::npos)
          << "'" << part << "' missing from: " << message;
    }
  }
}

}  // namespace qlsweep::testing
