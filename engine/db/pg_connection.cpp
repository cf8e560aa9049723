#include "engine/db/pg_connection.hpp"

#include "engine/metrics/pool_meter.hpp"

#include <libpq-fe.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

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
        case PGRES_POLLING_OK:
            if (!PQenterPipelineMode(conn_.get()))
                throw DbError(DbError::Kind::Operational, "08001", std::string("cannot enter pipeline mode: ") + PQerrorMessage(conn_.get()));
            return Wait::None;
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

void PgConnection::send_failed(bool queued_part) {
    const std::string why = std::string("cannot send the query: ") + PQerrorMessage(conn_.get());
    // Part of a statement queued (a Prepare without its Execute and Sync): libpq's queue and ours
    // are out of step, so the connection is done for. Lost altogether: so is every statement in flight.
    if (queued_part) broken_ = true;
    if (queued_part || PQstatus(conn_.get()) != CONNECTION_OK) fail_all(why);
    if (meter_) meter_->record_query(std::chrono::nanoseconds{0}, true);
    throw DbError(DbError::Kind::Operational, "08006", why);
}

PgConnection::Wait PgConnection::send(const std::string& sql, const std::vector<DbValue>& params) {
    if (broken_) throw DbError(DbError::Kind::Operational, "08006", "this connection broke earlier and cannot be used");
    if (PQstatus(conn_.get()) != CONNECTION_OK) send_failed(false);
    touch();
    const Params p = encode(params);
    const int n = static_cast<int>(params.size());
    InFlight s{InFlight::Phase::Execute, sql, {}, last_used_, {}, std::nullopt, false};
    // Parse once per connection: the Prepare goes in the same round trip as its first Execute.
    // While it is unconfirmed, another statement of the same SQL (queued behind it) goes unnamed,
    // so that a failed Prepare fails only its own statement.
    const char* name = nullptr;
    if (const auto it = prepared_.find(sql); it != prepared_.end()) {
        if (it->second.confirmed) name = it->second.name.c_str();
    } else if (prepared_.size() < kPreparedLimit) {
        const auto added = prepared_.emplace(sql, Prepared{"cello_" + std::to_string(next_statement_++), false}).first;
        if (!PQsendPrepare(conn_.get(), added->second.name.c_str(), sql.c_str(), n, nullptr)) {
            prepared_.erase(added);
            send_failed(false);
        }
        name = added->second.name.c_str();
        s.phase = InFlight::Phase::Prepare;
        s.preparing = added->second.name;
    }
    const bool sent = name ? PQsendQueryPrepared(conn_.get(), name, n, p.values.data(), p.lengths.data(), p.formats.data(), 0)
                           : PQsendQueryParams(conn_.get(), sql.c_str(), n, nullptr, p.values.data(), p.lengths.data(),
                                               p.formats.data(), 0);
    if (!sent || !PQpipelineSync(conn_.get())) {
        if (!s.preparing.empty()) prepared_.erase(sql);
        send_failed(!s.preparing.empty() || sent);
    }
    in_flight_.push_back(std::move(s));
    return flush();
}

void PgConnection::cork(bool on) {
#ifdef TCP_CORK
    if (tcp_ < 0) {
        sockaddr_storage addr{};
        socklen_t len = sizeof addr;
        tcp_ = ::getsockname(socket(), reinterpret_cast<sockaddr*>(&addr), &len) == 0 &&
               (addr.ss_family == AF_INET || addr.ss_family == AF_INET6);
    }
    if (tcp_ == 1) {
        const int v = on ? 1 : 0;
        ::setsockopt(socket(), IPPROTO_TCP, TCP_CORK, &v, sizeof v);  // (best effort: only batching is lost)
    }
#else
    (void)on;
#endif
}

void PgConnection::metered(const InFlight& s, bool failed) noexcept {
    if (meter_) meter_->record_query(std::chrono::steady_clock::now() - s.sent, failed);
}

PgConnection::Wait PgConnection::flush() {
    const int rc = PQflush(conn_.get());
    if (rc < 0) {
        fail_all(std::string("connection lost: ") + PQerrorMessage(conn_.get()));
        throw DbError(DbError::Kind::Operational, "08006", std::string("connection lost: ") + PQerrorMessage(conn_.get()));
    }
    return rc == 1 ? Wait::Write : Wait::Read;
}

void PgConnection::fail_all(const std::string& why) {
    for (auto& s : in_flight_) {
        if (s.done) continue;
        s.done = true;
        if (!s.error) s.error.emplace(DbError::Kind::Operational, "08006", why);
        metered(s, true);
    }
}

void PgConnection::absorb(InFlight& s, PGresult* r) {
    // [Prepare: its result, NULL] Execute: its result(s), NULL; Sync: PGRES_PIPELINE_SYNC.
    if (!r) {
        if (s.phase == InFlight::Phase::Prepare) s.phase = InFlight::Phase::Execute;
        else if (s.phase == InFlight::Phase::Execute) s.phase = InFlight::Phase::Sync;
        return;
    }
    const auto status = PQresultStatus(r);
    if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH) {
        // libpq would hand out COPY results forever: the connection cannot go on.
        if (!s.error) s.error.emplace(DbError::Kind::Programming, "0A000", "COPY is not supported by cello.db (in: " + s.sql + ")");
        broken_ = true;
        fail_all("the connection was closed after a COPY statement");
        return;
    }
    if (s.phase == InFlight::Phase::Prepare && status == PGRES_COMMAND_OK) {
        if (const auto it = prepared_.find(s.sql); it != prepared_.end() && it->second.name == s.preparing) it->second.confirmed = true;
    }
    if (status == PGRES_PIPELINE_SYNC) {
        s.done = true;
        metered(s, s.error.has_value());
    } else if (status == PGRES_FATAL_ERROR || status == PGRES_NONFATAL_ERROR || status == PGRES_BAD_RESPONSE) {
        if (!s.error) {  // the first error is the statement's (a failed Prepare's Execute is then aborted)
            std::string state = field(r, PG_DIAG_SQLSTATE);
            std::string message = field(r, PG_DIAG_MESSAGE_PRIMARY);
            if (message.empty()) message = PQerrorMessage(conn_.get());
            if (state.empty()) state = "08006";  // no SQLSTATE: the connection itself failed
            s.error.emplace(kind_of_sqlstate(state), state, message + " (in: " + s.sql + ")");
            // A failed Prepare is tried again next time; so is a statement whose tables changed shape
            // under its plan ("cached plan must not change result type"): a new Prepare replans it.
            if (s.phase == InFlight::Phase::Prepare || state == "0A000") {
                if (const auto it = prepared_.find(s.sql); it != prepared_.end() && (s.phase != InFlight::Phase::Prepare ||
                                                                                     it->second.name == s.preparing))
                    prepared_.erase(it);
            }
        }
    } else if (s.phase == InFlight::Phase::Execute && !s.error) {
        if (status == PGRES_TUPLES_OK || status == PGRES_SINGLE_TUPLE) {
            DbResult& out = s.result;
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
        } else if (status == PGRES_COMMAND_OK) {
            const char* n = PQcmdTuples(r);
            if (n && *n) std::from_chars(n, n + std::char_traits<char>::length(n), s.result.rows_affected);
        }
    }
    // (PGRES_PIPELINE_ABORTED: the Execute behind a failed Prepare; the error is already kept.)
}

PgConnection::Wait PgConnection::read(bool consume) {
    if (in_flight_.empty()) return Wait::None;
    if (consume && !PQconsumeInput(conn_.get())) fail_all(std::string("connection lost: ") + PQerrorMessage(conn_.get()));
    InFlight& s = in_flight_.front();
    while (!s.done) {
        if (PQstatus(conn_.get()) != CONNECTION_OK) {
            fail_all(std::string("connection lost: ") + PQerrorMessage(conn_.get()));
            break;
        }
        if (PQisBusy(conn_.get())) return Wait::Read;
        PGresult* r = PQgetResult(conn_.get());
        try {
            absorb(s, r);
        } catch (const DbError& e) {  // (a cell that could not be decoded)
            if (!s.error) s.error = e;
        }
        PQclear(r);
    }
    return Wait::None;
}

DbResult PgConnection::take() {
    if (in_flight_.empty() || !in_flight_.front().done)
        throw DbError(DbError::Kind::Programming, "", "no statement result to take (internal: read() first)");
    InFlight s = std::move(in_flight_.front());
    in_flight_.pop_front();
    touch();
    if (s.error) throw *s.error;
    return std::move(s.result);
}

bool PgConnection::still_alive() {
    if (!healthy()) return false;
    // An idle connection is sent nothing (the pool does not LISTEN): anything readable is the
    // server saying goodbye (a FATAL message, then EOF, which may not have arrived yet).
    pollfd p{socket(), POLLIN, 0};
    return ::poll(&p, 1, 0) == 0;
}

bool PgConnection::lost() const { return broken_ || PQstatus(conn_.get()) != CONNECTION_OK; }

bool PgConnection::healthy() const {
    return !broken_ && in_flight_.empty() && PQstatus(conn_.get()) == CONNECTION_OK && PQtransactionStatus(conn_.get()) == PQTRANS_IDLE;
}

}  // namespace cello::engine::db
