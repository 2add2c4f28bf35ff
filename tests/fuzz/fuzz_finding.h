#pragma once
// A broken fuzz contract. Harnesses throw it; under libFuzzer the uncaught exception aborts (a crash with
// this message and the input saved), under the replay test it fails the test naming the input.
#include <exception>
#include <stdexcept>
#include <string>
#include <typeinfo>

namespace dbsa::fuzz {

class FuzzFinding : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

inline void require(bool ok, const std::string& what) {
  if (!ok) throw FuzzFinding(what);
}

// For the catch-all of a harness: an exception the contract does not allow, by type and message.
[[noreturn]] inline void unexpected_exception(const std::exception& e) {
  throw FuzzFinding(std::string("unexpected exception ") + typeid(e).name() + ": " + e.what());
}

// Runs a harness's check: its findings pass through, any other exception that escaped it is one.
template <class Check>
void run_contract(Check&& check) {
  try {
    check();
  } catch (const FuzzFinding&) {
    throw;
  } catch (const std::exception& e) {
    unexpected_exception(e);
  }
}

}  // namespace dbsa::fuzz
