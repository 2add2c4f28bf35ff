#include "device_weights.h"

#include <stdexcept>
#include <string>

namespace dbsa::cuda {

Elem elem_of(WeightType t) {
  switch (t) {
    case WeightType::F32:
      return Elem::F32;
    case WeightType::F16:
      return Elem::F16;
    case WeightType::BF16:
      return Elem::BF16;
    default:
      break;
  }
  throw std::invalid_argument("cuda: " + std::string(weight_type_name(t)) +
                              " matrices are held in their blocks, which no device kernel takes yet "
                              "(load_model holds them as F16 for device backends)");
}

bool needs_host_rounding(const WeightMatrix& w) {
  if (w.act_rounding == ActivationRounding::None) return false;
  if (w.type == WeightType::F16 && w.act_rounding == ActivationRounding::F16) return false;
  if (w.type == WeightType::BF16 && w.act_rounding == ActivationRounding::BF16) return false;
  return true;
}

const void* DeviceWeights::find_or_upload(const void* host, size_t bytes, std::shared_ptr<const void> owner) {
  if (auto it = entries_.find(host); it != entries_.end() && it->second.bytes == bytes)
    return it->second.data.data();
  Entry e{std::move(owner), bytes, DeviceBuffer<std::byte>(bytes)};
  DBSA_CUDA_CHECK(cudaMemcpyAsync(e.data.data(), host, bytes, cudaMemcpyHostToDevice, stream_));
  Entry& slot = entries_[host];
  bytes_ += bytes;
  bytes_ -= slot.bytes;
  slot = std::move(e);
  return slot.data.data();
}

const void* DeviceWeights::matrix(const WeightMatrix& w) {
  (void)elem_of(w.type);  // refuses block-held matrices before any copy
  return find_or_upload(w.data, static_cast<size_t>(w.bytes()), w.owner);
}

const float* DeviceWeights::vector(const std::vector<float>& v) {
  if (v.empty()) return nullptr;
  // Vectors belong to ModelWeights, which outlives the device copies (callers keep it alive).
  return static_cast<const float*>(find_or_upload(v.data(), v.size() * sizeof(float), nullptr));
}

}  // namespace dbsa::cuda
