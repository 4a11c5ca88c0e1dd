#ifndef LIMITLESS_CSQLITE_SHIM_H
#define LIMITLESS_CSQLITE_SHIM_H
// The system library exports the session extension, but sqlite3.h declares it only
// when these are defined before it is included.
#define SQLITE_ENABLE_SESSION 1
#define SQLITE_ENABLE_PREUPDATE_HOOK 1
#include <sqlite3.h>

// Variadic C calls are not importable into Swift: wrap the ones we use.
static inline int limitless_sqlite3_busy_timeout(sqlite3 *db, int ms) {
    return sqlite3_busy_timeout(db, ms);
}
static inline int limitless_sqlite3_config_defensive(sqlite3 *db, int on) {
    return sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, on, (int *)0);
}
static inline int limitless_sqlite3_enable_triggers(sqlite3 *db, int on) {
    return sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, on, (int *)0);
}
// Before the library is first used: no memory statistics (each allocation would take a global
// mutex to count itself; nothing here reads the counts).
static inline int limitless_sqlite3_disable_memstatus(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
#endif
