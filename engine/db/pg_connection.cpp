#include "engine/db/pg_connection.hpp"

#include "engine/metrics/pool_meter.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <charconv>
#include <optional>
#include <cstdio>

namespace cello::engine::db {

namespace {

// Type OIDs (pg_type.h) whose values are read natively or named for the Python layer.
constexpr Oid kBool = 16, kBytea = 17, kInt8 = 20, kInt2 = 21, kInt4 = 23, kOid = 26, kText = 25, kJson = 114,
              kFloat4 = 700, kFloat8 = 701, kVarchar = 1043, kDate = 1082, kTime = 1083, kTimestamp = 1114,
              kTimestamptz = 1184, kTimetz = 1266, kNumeric = 1700, kUuid = 2950, kJsonb = 3802;

std::string type_name(Oid oid) {
    switch (oid) {
        case kBool: return "BOOLEAN";
        case kBytea: return "BYTEA";
        case kInt2: case kInt4: case kInt8: case kOid: return "INTEGER";
        case kFloat4: case kFloat8: return "DOUBLE";
        case kText: case kVarchar: return "TEXT";
        case kJson: return "JSON";
        case kJsonb: return "JSONB";
        case kDate: return "DATE";
        case kTime: return "TIME";
        case kTimetz: return "TIMETZ";
        case kTimestamp: return "TIMESTAMP";
        case kTimestamptz: return "TIMESTAMPTZ";
        case kNumeric: return "NUMERIC";
        case kUuid: return "UUID";
        default: return "";
    }
}

DbValue cell(const PGresult* r, int row, int col, Oid oid) {
    if (PQgetisnull(r, row, col)) return std::monostate{};
    const char* text = PQgetvalue(r, row, col);
    const int len = PQgetlength(r, row, col);
    switch (oid) {
        case kInt2: case kInt4: case kInt8: case kOid: {
            std::int64_t v = 0;
            std::from_chars(text, text + len, v);
            return v;
        }
        case kFloat4: case kFloat8: {
            double v = 0;
            // from_chars handles the digits; PostgreSQL also says "NaN", "Infinity", "-Infinity".
            if (std::from_chars(text, text + len, v).ec != std::errc{}) return std::string(text, static_cast<std::size_t>(len));
            return v;
        }
        case kBool: return std::int64_t{text[0] == 't'};
        case kBytea: {
            std::size_t n = 0;
            unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(text), &n);
            if (!raw) throw DbError(DbError::Kind::Operational, "", "out of memory decoding bytea");
            Blob b{std::string(reinterpret_cast<const char*>(raw), n)};
            PQfreemem(raw);
            return b;
        }
        default: return std::string(text, static_cast<std::size_t>(len));
    }
}

std::string field(const PGresult* r, int code) {
    const char* v = PQresultErrorField(r, code);
    return v ? v : "";
}

}  // namespace

DbError::Kind kind_of_sqlstate(const std::string& s) {
    const std::string cls = s.substr(0, 2);
    if (cls == "23") return DbError::Kind::Integrity;
    if (cls == "42" || cls == "22" || cls == "26" || cls == "2B" || cls == "34" || cls == "0A" || cls == "21" ||
        cls == "25" || cls == "2F" || cls == "3F" || cls == "44")
        return DbError::Kind::Programming;
    return DbError::Kind::Operational;
}

void PgConnection::Closer::operator()(pg_conn* c) const noexcept { PQfinish(c); }

PgConnection::PgConnection(const std::string& conninfo) : conn_(PQconnectStart(conninfo.c_str())) {
    if (!conn_) throw DbError(DbError::Kind::Operational, "08000", "out of memory starting a PostgreSQL connection");
    if (PQstatus(conn_.get()) == CONNECTION_BAD)
        throw DbError(DbError::Kind::Operational, "08001", std::string("cannot connect: ") + PQerrorMessage(conn_.get()));
    PQsetnonblocking(conn_.get(), 1);
}

PgConnection::~PgConnection() = default;

int PgConnection::socket() const { return PQsocket(conn_.get()); }

int PgConnection::backend_pid() const { return PQbackendPID(conn_.get()); }

void PgConnection::unwatch() {
    watch_.reset();
    watch_reactor_ = nullptr;
}

FdWatch& PgConnection::watch_on(ThreadReactor& reactor) {
    if (!watch_ || watch_reactor_ != &reactor) {
        watch_.reset();
        watch_ = reactor.watch_fd(socket());
        watch_reactor_ = &reactor;
    }
    return *watch_;
}

PgConnection::Wait PgConnection::connect_poll() {
    switch (PQconnectPoll(conn_.get())) {
        case PGRES_POLLING_READING: return Wait::Read;
        case PGRES_POLLING_WRITING: return Wait::Write;
        case PGRES_POLLING_OK: return Wait::None;
        default:
            throw DbError(DbError::Kind::Operational, "08001", std::string("cannot connect: ") + PQerrorMessage(conn_.get()));
    }
}

PgConnection::Params PgConnection::encode(const std::vector<DbValue>& params) {
    // Text for everything but bytes: the server parses each parameter as the type the statement
    // needs there.
    Params p;
    const auto n = params.size();
    p.text.resize(n);
    p.values.resize(n);
    p.lengths.resize(n);
    p.formats.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        const DbValue& v = params[i];
        if (std::holds_alternative<std::monostate>(v)) continue;  // values[i] stays null: NULL
        if (const auto* x = std::get_if<std::int64_t>(&v)) p.text[i] = std::to_string(*x);
        else if (const auto* d = std::get_if<double>(&v)) {
            char buf[32];
            const auto end = std::to_chars(buf, buf + sizeof buf, *d).ptr;  // shortest round-trip form
            p.text[i].assign(buf, end);
        } else if (const auto* s = std::get_if<std::string>(&v)) p.text[i] = *s;
        else {
            p.text[i] = std::get<Blob>(v).bytes;
            p.formats[i] = 1;
        }
        p.values[i] = p.text[i].data();
        p.lengths[i] = static_cast<int>(p.text[i].size());
    }
    return p;
}

PgConnection::Wait PgConnection::send(const std::string& sql, const std::vector<DbValue>& params) {
    busy_ = true;
    touch();
    if (const auto it = prepared_.find(sql); it != prepared_.end()) {
        preparing_params_ = encode(params);
        return send_prepared(it->second);
    }
    if (prepared_.size() < kPreparedLimit) {
        // Prepare first; read() sends the statement itself once the server has it.
        preparing_sql_ = sql;
        preparing_name_ = "cello_" + std::to_string(prepared_.size());
        preparing_params_ = encode(params);
        if (!PQsendPrepare(conn_.get(), preparing_name_.c_str(), sql.c_str(), static_cast<int>(params.size()), nullptr))
            throw DbError(DbError::Kind::Operational, "08006", std::string("cannot send the query: ") + PQerrorMessage(conn_.get()));
        return flush();
    }
    Params p = encode(params);
    if (!PQsendQueryParams(conn_.get(), sql.c_str(), static_cast<int>(params.size()), nullptr, p.values.data(),
                           p.lengths.data(), p.formats.data(), 0))
        throw DbError(DbError::Kind::Operational, "08006", std::string("cannot send the query: ") + PQerrorMessage(conn_.get()));
    return flush();
}

PgConnection::Wait PgConnection::send_prepared(const std::string& name) {
    Params& p = preparing_params_;
    if (!PQsendQueryPrepared(conn_.get(), name.c_str(), static_cast<int>(p.values.size()), p.values.data(),
                             p.lengths.data(), p.formats.data(), 0))
        throw DbError(DbError::Kind::Operational, "08006", std::string("cannot send the query: ") + PQerrorMessage(conn_.get()));
    return flush();
}

void PgConnection::metered(bool failed) noexcept {
    if (meter_ && busy_) meter_->record_query(std::chrono::steady_clock::now() - last_used_, failed);
}

PgConnection::Wait PgConnection::flush() {
    const int rc = PQflush(conn_.get());
    if (rc < 0) metered(true);
    if (rc < 0) throw DbError(DbError::Kind::Operational, "08006", std::string("connection lost: ") + PQerrorMessage(conn_.get()));
    return rc == 1 ? Wait::Write : Wait::Read;
}

PgConnection::Wait PgConnection::read() {
    if (!PQconsumeInput(conn_.get())) {
        metered(true);
        throw DbError(DbError::Kind::Operational, "08006", std::string("connection lost: ") + PQerrorMessage(conn_.get()));
    }
    if (PQisBusy(conn_.get())) return Wait::Read;
    if (preparing_sql_.empty()) return Wait::None;
    // The Prepare's answer: on success the statement is sent under its name; a failure (a syntax
    // error, an unknown table) is the statement's error.
    std::optional<DbError> failed;
    while (PGresult* r = PQgetResult(conn_.get())) {
        if (!failed && PQresultStatus(r) != PGRES_COMMAND_OK) {
            std::string state = field(r, PG_DIAG_SQLSTATE);
            std::string message = field(r, PG_DIAG_MESSAGE_PRIMARY);
            if (message.empty()) message = PQerrorMessage(conn_.get());
            if (state.empty()) state = "08006";
            failed.emplace(kind_of_sqlstate(state), state, message + " (in: " + preparing_sql_ + ")");
        }
        PQclear(r);
    }
    const std::string sql = std::move(preparing_sql_);
    preparing_sql_.clear();
    if (failed) {
        metered(true);
        busy_ = false;
        throw *failed;
    }
    prepared_.emplace(sql, preparing_name_);
    return send_prepared(preparing_name_);
}

DbResult PgConnection::take(const std::string& sql) {
    DbResult out;
    std::optional<DbError> failed;
    // Every result up to the end (one per statement; errors after the first are ignored).
    while (PGresult* r = PQgetResult(conn_.get())) {
        const auto status = PQresultStatus(r);
        if (!failed && (status == PGRES_TUPLES_OK || status == PGRES_SINGLE_TUPLE)) {
            const int columns = PQnfields(r), rows = PQntuples(r);
            std::vector<Oid> types(static_cast<std::size_t>(columns));
            for (int c = 0; c < columns; ++c) {
                out.columns.emplace_back(PQfname(r, c));
                types[static_cast<std::size_t>(c)] = PQftype(r, c);
                out.declared_types.push_back(type_name(PQftype(r, c)));
            }
            out.rows.reserve(static_cast<std::size_t>(rows));
            for (int row = 0; row < rows; ++row) {
                auto& values = out.rows.emplace_back();
                values.reserve(static_cast<std::size_t>(columns));
                for (int c = 0; c < columns; ++c) values.push_back(cell(r, row, c, types[static_cast<std::size_t>(c)]));
            }
        } else if (!failed && status == PGRES_COMMAND_OK) {
            const char* n = PQcmdTuples(r);
            if (n && *n) std::from_chars(n, n + std::char_traits<char>::length(n), out.rows_affected);
        } else if (!failed && (status == PGRES_FATAL_ERROR || status == PGRES_NONFATAL_ERROR || status == PGRES_BAD_RESPONSE)) {
            std::string state = field(r, PG_DIAG_SQLSTATE);
            std::string message = field(r, PG_DIAG_MESSAGE_PRIMARY);
            if (message.empty()) message = PQerrorMessage(conn_.get());
            if (state.empty()) state = "08006";  // no SQLSTATE: the connection itself failed
            failed.emplace(kind_of_sqlstate(state), state, message + " (in: " + sql + ")");
        }
        PQclear(r);
        if (PQisBusy(conn_.get())) break;  // (not expected: read() said the whole result was there)
    }
    const bool lost = PQstatus(conn_.get()) != CONNECTION_OK;
    metered(failed.has_value() || lost);
    busy_ = false;
    touch();
    if (failed) throw *failed;
    if (lost)
        throw DbError(DbError::Kind::Operational, "08006", std::string("connection lost: ") + PQerrorMessage(conn_.get()));
    return out;
}

bool PgConnection::still_alive() {
    if (!healthy()) return false;
    // An idle connection is sent nothing (the pool does not LISTEN): anything readable is the
    // server saying goodbye (a FATAL message, then EOF, which may not have arrived yet).
    pollfd p{socket(), POLLIN, 0};
    return ::poll(&p, 1, 0) == 0;
}

bool PgConnection::healthy() const {
    return !busy_ && PQstatus(conn_.get()) == CONNECTION_OK && PQtransactionStatus(conn_.get()) == PQTRANS_IDLE;
}

}  // namespace cello::engine::db
