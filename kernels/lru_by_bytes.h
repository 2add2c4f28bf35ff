#pragma once
// Least-recently-used bookkeeping with a budget in bytes (entries differ in size, so a count limit would
// say nothing about memory). Pure host logic: the device block cache keeps its buffers by these keys.
#include <cstddef>
#include <list>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace dbsa::cuda {

template <class Key>
class LruByBytes {
 public:
  explicit LruByBytes(size_t capacity_bytes) : capacity_(capacity_bytes) {}

  size_t capacity() const { return capacity_; }
  size_t bytes() const { return bytes_; }
  size_t size() const { return where_.size(); }
  bool contains(const Key& k) const { return where_.count(k) != 0; }

  // Marks k as the most recently used; false when it is not held.
  bool touch(const Key& k) {
    auto it = where_.find(k);
    if (it == where_.end()) return false;
    order_.splice(order_.begin(), order_, it->second);
    return true;
  }

  // The least recently used keys to drop so that `incoming` more bytes fit the budget, skipping the
  // keys in `keep` (those in use by the current request). When the kept keys alone exceed the budget
  // the budget is exceeded rather than failing the request: it is a cache size, not a hard limit.
  std::vector<Key> victims_for(size_t incoming, const std::unordered_set<Key>& keep) const {
    std::vector<Key> out;
    size_t held = bytes_;
    for (auto it = order_.rbegin(); it != order_.rend() && held + incoming > capacity_; ++it) {
      if (keep.count(it->key)) continue;
      out.push_back(it->key);
      held -= it->bytes;
    }
    return out;
  }

  // Adds k (not yet held) as the most recently used.
  void insert(const Key& k, size_t entry_bytes) {
    if (contains(k)) throw std::logic_error("LruByBytes::insert: key already held");
    order_.push_front({k, entry_bytes});
    where_[k] = order_.begin();
    bytes_ += entry_bytes;
  }

  void erase(const Key& k) {
    auto it = where_.find(k);
    if (it == where_.end()) return;
    bytes_ -= it->second->bytes;
    order_.erase(it->second);
    where_.erase(it);
  }

  // Keys from most to least recently used.
  std::vector<Key> keys() const {
    std::vector<Key> out;
    for (const auto& e : order_) out.push_back(e.key);
    return out;
  }

 private:
  struct Entry {
    Key key;
    size_t bytes;
  };
  size_t capacity_;
  size_t bytes_ = 0;
  std::list<Entry> order_;  // front: most recent
  std::unordered_map<Key, typename std::list<Entry>::iterator> where_;
};

}  // namespace dbsa::cuda
