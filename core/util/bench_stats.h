#pragma once
// What every `dbsa bench` reports the same way (prefill, decode, dbsa, encode): the median of repeated
// timings and the process's peak resident memory.
#include <cstdint>
#include <vector>

namespace dbsa {

// The middle value (mean of the two middle ones for an even count); 0 for none.
double median(std::vector<double> values);

// The process's high-water mark of resident memory, in bytes.
uint64_t peak_rss_bytes();

}  // namespace dbsa
