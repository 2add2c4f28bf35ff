#pragma once
// The one exception type of the results store; messages always name the database file.
#include <stdexcept>

namespace dbsa {

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace dbsa
