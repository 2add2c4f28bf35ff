#pragma once
#include <stdexcept>

namespace dbsa {

// A file-system step failed; the message names the path and the system's reason.
class FileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace dbsa
