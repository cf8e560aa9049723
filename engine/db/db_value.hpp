// Values that cross between a database and the engine: query parameters and result cells. Plain
// C++ (no Python): pyembed converts Python objects to and from these (py_database.cpp).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace cello::engine::db {

struct Blob {
    std::string bytes;
    bool operator==(const Blob&) const = default;
};

// NULL, INTEGER (64-bit), REAL, TEXT (UTF-8), BLOB. Booleans travel as integers 0/1.
using DbValue = std::variant<std::monostate, std::int64_t, double, std::string, Blob>;

struct DbResult {
    std::vector<std::string> columns;
    // Each column's declared type as the database reports it ("TIMESTAMP", "JSON", "" for an
    // expression): how a cell is turned back into a date, a Decimal, a UUID or a dict.
    std::vector<std::string> declared_types;
    std::vector<std::vector<DbValue>> rows;
    std::int64_t rows_affected = 0;     // INSERT/UPDATE/DELETE
    std::int64_t last_insert_id = 0;  // SQLite's rowid of the last INSERT
};

// A database error with its kind, as the Python layer raises it (cello.db.IntegrityError, ...).
class DbError : public std::runtime_error {
public:
    // Busy: the writer lock is taken and the caller asked not to wait (try again later).
    enum class Kind { Integrity, Operational, Programming, PoolTimeout, Busy };
    DbError(Kind kind, std::string code, const std::string& message)
        : std::runtime_error(message), kind_(kind), code_(std::move(code)) {}
    Kind kind() const noexcept { return kind_; }
    // SQLSTATE for PostgreSQL ("23505"); SQLite's extended result code name ("SQLITE_CONSTRAINT_UNIQUE").
    const std::string& code() const noexcept { return code_; }

private:
    Kind kind_;
    std::string code_;
};

}  // namespace cello::engine::db
