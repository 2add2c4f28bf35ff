#pragma once
// The one exception type of the KV block store; messages name the cache folder or file, the block
// and the field or byte offset involved.
#include <stdexcept>

namespace dbsa {

class CacheError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A create found the cache already published (e.g. by the process it waited for).
class CacheExists : public CacheError {
 public:
  using CacheError::CacheError;
};

}  // namespace dbsa
