#pragma once
// The versioned schema of the results database. The version lives in SQLite's user_version and the
// file is tagged with an application_id, so a foreign SQLite file is told apart from an empty one.
// Migrations are ordered steps v(k−1) → v(k), applied in one write transaction.
#include <cstdint>

namespace dbsa {

class SqliteDb;

inline constexpr int kResultsSchemaVersion = 4;
inline constexpr int32_t kResultsApplicationId = 0x44425352;  // "DBSR"

// The file's schema version (0: empty file). Throws StoreError naming the file when it is not a
// SQLite database, belongs to another application, or has a version newer than kResultsSchemaVersion.
int check_results_schema(SqliteDb& db);

// Creates the schema in an empty file or upgrades an older one to kResultsSchemaVersion. Safe when
// several processes open the same file at once: the version is re-read under the write lock.
void migrate_results_schema(SqliteDb& db);

}  // namespace dbsa
