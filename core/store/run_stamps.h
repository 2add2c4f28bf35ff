#pragma once
// Stamps put on runs: identifiers unique across machines and shard databases (the merge dedup key)
// and UTC times.
#include <string>

namespace dbsa {

// A random (version 4) UUID in canonical 8-4-4-4-12 lowercase hex form.
std::string new_run_uuid();

// ISO 8601 UTC time with milliseconds, e.g. "2026-11-25T18:10:55.123Z".
std::string utc_timestamp_now();

}  // namespace dbsa
