#pragma once
// The message of the error `f` throws, for tests that check an error names the file, field or value
// at fault. An exception not of type E passes on (the test fails on it); no exception gives a text no
// expected message contains.
#include <functional>
#include <stdexcept>
#include <string>

namespace dbsa::test {

template <class E = std::exception>
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace dbsa::test
