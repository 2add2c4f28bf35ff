#pragma once
// Host side of the flash-attention kernel: turns an AttentionLayout into the per-CTA work list the
// kernel reads (query tiles of kFlashQueryTile, their KV ranges, and — when the tiles alone cannot
// fill the device — key splits with the groups the merge kernel combines), and keeps it on the device.
#include <cuda_runtime.h>

#include <cstdint>
#include <vector>

#include "device_buffer.h"
#include "engine/attention_layout.h"
#include "flash_attention.cuh"

namespace dbsa::cuda {

struct FlashPlan {
  std::vector<FlashItem> items;
  std::vector<FlashTile> tiles;
  std::vector<FlashRange> ranges;
  std::vector<FlashGroup> groups;
  int32_t n_parts = 0;
};

// Below this many keys per split the merge costs more than the parallelism gains.
inline constexpr int64_t kFlashMinSplitKeys = 256;
// Fewer CTAs than this many per multiprocessor leave the device underused: then keys are split.
inline constexpr int64_t kFlashMinCtasPerSm = 2;

// min_ctas: the number of CTAs (items × n_head) below which items are split along their keys
// (typically a few per multiprocessor); 0 never splits.
FlashPlan plan_flash_attention(const AttentionLayout& layout, int32_t n_head, int64_t min_ctas);

// Device copies of a plan, reused across calls (grown, never shrunk).
class FlashWorkspace {
 public:
  // Uploads the plan on stream s and fills the plan fields of args (items, tiles, ranges, groups,
  // partial buffers sized for args.n_head and args.head_dim).
  void upload(const FlashPlan& plan, FlashArgs& args, cudaStream_t s);

 private:
  DeviceBuffer<FlashItem> items_;
  DeviceBuffer<FlashTile> tiles_;
  DeviceBuffer<FlashRange> ranges_;
  DeviceBuffer<FlashGroup> groups_;
  DeviceBuffer<float> part_o_, part_ml_;
};

}  // namespace dbsa::cuda
