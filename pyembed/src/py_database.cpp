#include "py_database.hpp"
#include "py_db_row.hpp"
#include "py_request_trace.hpp"

#include "engine/db/pg_pool.hpp"
#include "engine/db/sqlite_pool.hpp"
#include "engine_thread_state.hpp"
#include "json_writer.hpp"
#include "py_loop.hpp"

#include <pybind11/stl.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <utility>

namespace cello::py {

namespace {

namespace db = engine::db;

// cello.db's exception classes and parameter adapter, handed over once at import (_bind_db).
struct DbBindings {
    PyObject* errors[5] = {};  // by DbError::Kind: Integrity, Operational, Programming, PoolTimeout, Busy
    PyObject* adapt = nullptr;  // value -> str | bytes | int | float (datetime, Decimal, UUID, dict, ...)
};
DbBindings g_db;

// A DbError as the cello.db exception of its kind, with its code (SQLSTATE, SQLite's code name).
pyb::object error_object(const db::DbError& e) {
    PyObject* type = g_db.errors[static_cast<int>(e.kind())];
    if (!type) throw std::runtime_error(e.what());  // cello.db not imported: a plain RuntimeError
    pyb::object error = pyb::reinterpret_borrow<pyb::object>(type)(e.what());
    error.attr("sqlstate") = e.code();
    return error;
}

[[noreturn]] void raise(const db::DbError& e) {
    pyb::object error = error_object(e);
    PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(error.ptr())), error.ptr());
    throw pyb::error_already_set();
}

db::DbValue to_value(PyObject* o, int depth = 0) {
    if (o == Py_None) return std::monostate{};
    if (o == Py_True) return std::int64_t{1};
    if (o == Py_False) return std::int64_t{0};
    if (PyLong_CheckExact(o)) {
        int overflow = 0;
        const long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
        if (overflow) throw pyb::value_error("an integer parameter does not fit in 64 bits: " + pyb::repr(o).cast<std::string>());
        if (v == -1 && PyErr_Occurred()) throw pyb::error_already_set();
        return static_cast<std::int64_t>(v);
    }
    if (PyFloat_CheckExact(o)) return PyFloat_AS_DOUBLE(o);
    if (PyUnicode_CheckExact(o)) {
        Py_ssize_t n = 0;
        const char* s = PyUnicode_AsUTF8AndSize(o, &n);
        if (!s) throw pyb::error_already_set();
        return std::string(s, static_cast<std::size_t>(n));
    }
    if (PyBytes_CheckExact(o)) return db::Blob{std::string(PyBytes_AS_STRING(o), static_cast<std::size_t>(PyBytes_GET_SIZE(o)))};
    if (PyByteArray_CheckExact(o))
        return db::Blob{std::string(PyByteArray_AS_STRING(o), static_cast<std::size_t>(PyByteArray_GET_SIZE(o)))};
    // Anything else through cello.db's adapter (once: what it returns must be plain).
    if (depth == 0 && g_db.adapt) {
        pyb::object plain = pyb::reinterpret_borrow<pyb::object>(g_db.adapt)(pyb::handle(o));
        return to_value(plain.ptr(), 1);
    }
    throw pyb::type_error("cannot bind a parameter of type " + std::string(Py_TYPE(o)->tp_name));
}

std::vector<db::DbValue> to_values(const pyb::handle& params) {
    std::vector<db::DbValue> out;
    if (params.is_none()) return out;
    if (PyUnicode_Check(params.ptr()) || PyBytes_Check(params.ptr()) || PyDict_Check(params.ptr()))
        throw pyb::type_error("parameters are a sequence (a list or tuple of values, one per '?')");
    pyb::sequence seq = pyb::reinterpret_borrow<pyb::sequence>(params);
    out.reserve(seq.size());
    for (const auto& item : seq) out.push_back(to_value(item.ptr()));
    return out;
}

// A new reference, or null with a Python error.
PyObject* new_value(const db::DbValue& v) {
    if (std::holds_alternative<std::monostate>(v)) return Py_NewRef(Py_None);
    if (const auto* n = std::get_if<std::int64_t>(&v)) return PyLong_FromLongLong(*n);
    if (const auto* d = std::get_if<double>(&v)) return PyFloat_FromDouble(*d);
    if (const auto* s = std::get_if<std::string>(&v))
        return PyUnicode_DecodeUTF8(s->data(), static_cast<Py_ssize_t>(s->size()), "replace");
    const auto& b = std::get<db::Blob>(v).bytes;
    return PyBytes_FromStringAndSize(b.data(), static_cast<Py_ssize_t>(b.size()));
}

// Column names and declared types, interned: a result's shape is looked up (cello.db._shape) by
// them, and an interned str carries its hash from one result to the next.
pyb::tuple interned_names(const std::vector<std::string>& names) {
    pyb::tuple out(names.size());
    for (std::size_t i = 0; i < names.size(); ++i) {
        PyObject* name = PyUnicode_InternFromString(names[i].c_str());
        if (!name) throw pyb::error_already_set();
        PyTuple_SET_ITEM(out.ptr(), static_cast<Py_ssize_t>(i), name);
    }
    return out;
}

// (columns, declared types, rows as tuples, rows affected, last insert id), with the C API: a
// result of a dozen rows is made on every such request.
pyb::tuple to_python(const db::DbResult& r) {
    pyb::tuple columns = interned_names(r.columns), types = interned_names(r.declared_types);
    pyb::list rows(r.rows.size());
    for (std::size_t i = 0; i < r.rows.size(); ++i) {
        const auto& cells = r.rows[i];
        PyObject* row = PyTuple_New(static_cast<Py_ssize_t>(cells.size()));
        if (!row) throw pyb::error_already_set();
        PyList_SET_ITEM(rows.ptr(), static_cast<Py_ssize_t>(i), row);  // (the list owns it from here)
        for (std::size_t c = 0; c < cells.size(); ++c) {
            PyObject* value = new_value(cells[c]);
            if (!value) throw pyb::error_already_set();
            PyTuple_SET_ITEM(row, static_cast<Py_ssize_t>(c), value);
        }
    }
    return pyb::make_tuple(columns, types, rows, r.rows_affected, r.last_insert_id);
}

// Runs `fn` without the GIL, turning a DbError into its cello.db exception.
template <class F>
auto without_gil(F&& fn) {
    std::optional<db::DbError> failed;
    using R = decltype(fn());
    std::optional<R> out;
    {
        pyb::gil_scoped_release release;
        try {
            out.emplace(fn());
        } catch (const db::DbError& e) {
            failed.emplace(e);
        }
    }
    if (failed) raise(*failed);
    return std::move(*out);
}

// A checked-out connection as Python holds it: close() (or the object going away) returns it.
struct PyLease {
    std::optional<db::SqlitePool::Lease> lease;
    db::SqlitePool::Lease& get() {
        if (!lease) throw pyb::value_error("this database connection was already returned to its pool");
        return *lease;
    }
};

// A PostgreSQL connection as Python holds it; put()/discard() hand it back to the pool.
struct PyPgConn {
    std::unique_ptr<db::PgConnection> conn;
    std::shared_ptr<struct PgPipeline> pipeline;  // on an engine thread: its statements' futures
    db::PgConnection& get() {
        if (!conn) throw pyb::value_error("this PostgreSQL connection was already returned to its pool");
        return *conn;
    }
};

pyb::object wait_name(db::PgConnection::Wait w) {
    switch (w) {
        case db::PgConnection::Wait::Read: return pyb::str("read");
        case db::PgConnection::Wait::Write: return pyb::str("write");
        default: return pyb::none();
    }
}

// Future method names, interned once (the GIL is held: first use is on an engine thread).
PyObject* interned(const char* name) { return PyUnicode_InternFromString(name); }

// The statements of one connection awaited on an engine thread's loop: the reactor watches the
// socket, and each result (or error) resolves its statement's future on the same thread, in the
// order they were sent, so an awaiting task wakes once, with no Python selector in between.
// Statements sent while others are in flight (asyncio.gather on one connection) are pipelined:
// the burst is corked and leaves in one packet when the loop comes round (uncork()).
struct PgPipeline {
    db::PgConnection* conn;  // alive while its watch is: the watch dies with the connection
    engine::ThreadReactor* reactor;
    std::deque<pyb::object> futures;  // one per statement in flight, oldest first
    bool reading = false, writing = false, corked = false;

    PgPipeline(db::PgConnection* c, engine::ThreadReactor* r) : conn(c), reactor(r) {}
    PgPipeline(const PgPipeline&) = delete;
    PgPipeline& operator=(const PgPipeline&) = delete;
    ~PgPipeline() {  // the last reference may go on the reactor, without the GIL
        if (futures.empty()) return;
        if (!Py_IsInitialized()) {
            for (auto& f : futures) (void)f.release();
            return;
        }
        pyb::gil_scoped_acquire gil;
        futures.clear();
    }
};

void settle(PyObject* future, bool ok, PyObject* value) {
    static PyObject* const set_result = interned("set_result");
    static PyObject* const set_exception = interned("set_exception");
    static PyObject* const done_name = interned("done");
    PyObject* done = PyObject_CallMethodNoArgs(future, done_name);
    const bool gave_up = done != Py_False;  // cancelled (its task was): the result is dropped
    Py_XDECREF(done);
    PyErr_Clear();
    if (gave_up) return;
    // (Not PyObject_CallMethod with "O": a tuple value would become the argument list.)
    PyObject* r = PyObject_CallMethodOneArg(future, ok ? set_result : set_exception, value);
    if (!r) {
        std::fprintf(stderr, "cello: could not settle a database query's future:\n");
        PyErr_Print();
    }
    Py_XDECREF(r);
}

// Every statement whose result is complete settles its future, oldest first.
void settle_done(PgPipeline& p, bool consume) {
    while (!p.futures.empty()) {
        if (p.conn->read(consume) != db::PgConnection::Wait::None) return;
        consume = false;
        pyb::object future = std::move(p.futures.front());
        p.futures.pop_front();
        try {
            pyb::tuple result = to_python(p.conn->take());
            settle(future.ptr(), true, result.ptr());
        } catch (const db::DbError& e) {
            try {
                settle(future.ptr(), false, error_object(e).ptr());
            } catch (pyb::error_already_set& err) {
                settle(future.ptr(), false, err.value().ptr());
            }
        } catch (pyb::error_already_set& e) {
            settle(future.ptr(), false, e.value().ptr());
        }
    }
}

void watch_reads(const std::shared_ptr<PgPipeline>& p);
void watch_writes(const std::shared_ptr<PgPipeline>& p);

// The send buffer is full: the rest goes out when the socket is writable.
void flush_later(const std::shared_ptr<PgPipeline>& p) {
    try {
        if (p->conn->flush() == db::PgConnection::Wait::Write) return watch_writes(p);
    } catch (const db::DbError&) {
        // The connection broke: every statement in flight failed with it (read() reports them).
    }
    settle_done(*p, false);
}

void watch_writes(const std::shared_ptr<PgPipeline>& p) {
    if (p->writing) return;
    if (p->conn->lost()) return settle_done(*p, false);  // no socket to wait on: their errors now
    p->writing = true;
    p->conn->watch_on(*p->reactor).wait(true, [p](bool) {
        EngineGil gil;
        p->writing = false;
        flush_later(p);
    });
}

void watch_reads(const std::shared_ptr<PgPipeline>& p) {
    if (p->reading || p->futures.empty()) return;
    if (p->conn->lost()) return settle_done(*p, false);
    p->reading = true;
    p->conn->watch_on(*p->reactor).wait(false, [p](bool) {
        EngineGil gil;
        p->reading = false;
        settle_done(*p, true);  // (a failed wait: read() finds the connection broken)
        watch_reads(p);
    });
}

// DbErrors of libpq calls that do not block (no GIL release needed: they return at once).
template <class F>
auto raising(F&& fn) {
    try {
        return fn();
    } catch (const db::DbError& e) {
        raise(e);
    }
}

void define_postgres(pyb::module_& m) {
    pyb::class_<PyPgConn>(m, "PgConn", "A PostgreSQL connection (engine/db/pg_connection.hpp), driven by cello.db.")
        .def(pyb::init([](const std::string& conninfo, const std::shared_ptr<db::PgPool>& pool) {
                 auto c = std::make_unique<PyPgConn>();
                 c->conn = raising([&] { return std::make_unique<db::PgConnection>(conninfo); });
                 if (pool) c->conn->set_meter(pool->meter());  // its statements count in the pool's figures
                 return c;
             }),
             pyb::arg("conninfo"), pyb::arg("pool") = nullptr)
        .def("connect_poll", [](PyPgConn& c) { return wait_name(raising([&] { return c.get().connect_poll(); })); })
        .def_property_readonly("socket", [](PyPgConn& c) { return c.get().socket(); })
        .def_property_readonly("backend_pid", [](PyPgConn& c) { return c.get().backend_pid(); })
        .def(
            "send",
            [](PyPgConn& c, const std::string& sql, pyb::handle params) {
                auto values = to_values(params);
                auto& conn = c.get();
                if (conn.in_flight())
                    throw pyb::value_error("a statement is already running on this connection: outside the engine's threads, "
                                           "await one statement at a time");
                return wait_name(raising([&] { return conn.send(sql, values); }));
            },
            pyb::arg("sql"), pyb::arg("params") = pyb::none())
        .def("flush", [](PyPgConn& c) { return wait_name(raising([&] { return c.get().flush(); })); })
        .def("unwatch", [](PyPgConn& c) {
            if (c.conn) {
                if (c.pipeline && c.pipeline->corked) c.conn->cork(false);
                c.conn->unwatch();
            }
            if (c.pipeline) {
                // Statements still running as the connection goes back (their tasks left them, or
                // a block ended without awaiting them): they fail, rather than wait forever.
                const db::DbError gone(db::DbError::Kind::Operational, "08006",
                                       "the connection went back to its pool while this statement ran");
                for (auto& f : std::exchange(c.pipeline->futures, {})) settle(f.ptr(), false, error_object(gone).ptr());
            }
            c.pipeline.reset();
        }, "Stops the engine thread's reactor watching the socket (before the connection goes back to its pool).")
        .def(
            "query",
            [](pyb::object self, const std::string& sql, pyb::handle params) -> pyb::object {
                engine::ThreadReactor* reactor = current_reactor();
                PyObject* loop = current_engine_loop();
                if (!reactor || !loop) return pyb::none();  // not an engine thread: the caller waits its own way
                auto& c = self.cast<PyPgConn&>();
                auto values = to_values(params);
                auto& conn = c.get();
                auto& p = c.pipeline;
                if (!p || p->reactor != reactor || p->conn != &conn) {
                    if (conn.in_flight()) throw pyb::value_error("a statement is already running on this connection on another thread");
                    p = std::make_shared<PgPipeline>(&conn, reactor);
                }
                if (conn.in_flight() != p->futures.size())
                    throw pyb::value_error("a statement sent outside the engine's loop is still running on this connection");
                static PyObject* const create_future = interned("create_future");
                auto future = pyb::reinterpret_steal<pyb::object>(PyObject_CallMethodNoArgs(loop, create_future));
                if (!future) throw pyb::error_already_set();
                if (conn.in_flight() && !p->corked) {
                    // A burst: held back until this loop iteration's other tasks queued theirs.
                    static PyObject* const call_soon = interned("call_soon");
                    pyb::object uncork = self.attr("_uncork");
                    auto h = pyb::reinterpret_steal<pyb::object>(PyObject_CallMethodOneArg(loop, call_soon, uncork.ptr()));
                    if (!h) throw pyb::error_already_set();
                    conn.cork(true);
                    p->corked = true;
                }
                const auto before = conn.in_flight();
                db::PgConnection::Wait wait = db::PgConnection::Wait::Read;
                try {
                    wait = conn.send(sql, values);
                } catch (const db::DbError& e) {
                    if (conn.in_flight() == before) {  // not sent: an error of this call
                        if (conn.lost()) settle_done(*p, false);  // the others failed with the connection
                        raise(e);
                    }
                    // Queued, then the connection broke: its error comes with the others' (below).
                }
                p->futures.push_back(future);
                if (wait == db::PgConnection::Wait::Write) watch_writes(p);
                watch_reads(p);
                return future;
            },
            pyb::arg("sql"), pyb::arg("params") = pyb::none(),
            "Sends the statement; a future of this engine thread's loop for its result (None elsewhere).")
        .def("_uncork", [](PyPgConn& c) {
            const auto& p = c.pipeline;
            if (!c.conn || !p || !p->corked) return;
            p->corked = false;
            c.conn->cork(false);  // the burst leaves now, in one packet
            flush_later(p);
        }, "Sends a burst of pipelined statements (called by the loop after the tasks that queued them).")
        .def("read", [](PyPgConn& c) { return wait_name(raising([&] { return c.get().read(); })); },
             "None when the result is there; else 'read' or 'write': what to wait for next.")
        .def_property_readonly("in_flight", [](PyPgConn& c) { return c.conn ? c.conn->in_flight() : 0; })
        .def("take", [](PyPgConn& c) { return to_python(raising([&] { return c.get().take(); })); });

    pyb::class_<db::PgPool, std::shared_ptr<db::PgPool>>(m, "PgPool", "A process's PostgreSQL connections (engine/db/pg_pool.hpp).")
        .def(pyb::init([](const std::string& conninfo, std::size_t pool_size, std::size_t min_idle, double max_lifetime_s,
                          double idle_timeout_s) {
                 db::PgOptions o;
                 o.conninfo = conninfo;
                 o.pool_size = pool_size;
                 o.min_idle = min_idle;
                 o.max_lifetime = std::chrono::seconds(static_cast<long long>(max_lifetime_s));
                 o.idle_timeout = std::chrono::seconds(static_cast<long long>(idle_timeout_s));
                 note_database_opened();
                 return std::make_shared<db::PgPool>(std::move(o));
             }),
             pyb::arg("conninfo"), pyb::arg("pool_size") = 10, pyb::arg("min_idle") = 1, pyb::arg("max_lifetime_s") = 1800.0,
             pyb::arg("idle_timeout_s") = 300.0)
        .def("take_idle",
             [](db::PgPool& pool) -> pyb::object {
                 auto c = pool.take_idle();
                 if (!c) return pyb::none();
                 auto holder = std::make_unique<PyPgConn>();
                 holder->conn = std::move(c);
                 return pyb::cast(std::move(holder));
             })
        .def("reserve", &db::PgPool::reserve)
        .def("unreserve", &db::PgPool::unreserve)
        .def("put", [](db::PgPool& pool, PyPgConn& c) { pool.put(std::move(c.conn)); })
        .def("discard", [](db::PgPool& pool, PyPgConn& c) { pool.discard(std::move(c.conn)); })
        .def("sweep", &db::PgPool::sweep)
        .def("reusable", [](const db::PgPool& pool, PyPgConn& c) { return c.conn && pool.reusable(*c.conn); },
             "Whether a returned connection can go straight to the next task (up, idle, young enough).")
        .def("waiting", [](const db::PgPool& pool, int delta) { pool.meter()->waiting(delta); },
             "A caller starts (+1) or stops (-1) waiting for a connection (/metrics).")
        .def("stats", [](const db::PgPool& pool) {
            const auto s = pool.stats();
            return pyb::dict(pyb::arg("open") = s.open, pyb::arg("idle") = s.idle, pyb::arg("in_use") = s.in_use);
        });
}

}  // namespace

void define_database(pyb::module_& m) {
    define_db_row(m);
    define_postgres(m);
    m.def(
        "_bind_db",
        [](pyb::tuple errors, pyb::object adapt) {
            if (errors.size() != 5) throw pyb::value_error("five exception classes");
            for (std::size_t i = 0; i < 5; ++i) {
                Py_XDECREF(g_db.errors[i]);
                g_db.errors[i] = pyb::object(errors[i]).release().ptr();
            }
            Py_XDECREF(g_db.adapt);
            g_db.adapt = adapt.release().ptr();
        },
        pyb::arg("errors"), pyb::arg("adapt"),
        "cello.db's IntegrityError, OperationalError, ProgrammingError, PoolTimeout, Busy and parameter adapter.");

    pyb::class_<PyLease>(m, "SqliteLease", "A connection checked out of a SqlitePool (cello.db drives it).")
        .def(
            "execute",
            [](PyLease& self, const std::string& sql, pyb::handle params, bool wait) {
                auto values = to_values(params);
                auto& lease = self.get();
                return to_python(without_gil([&] { return lease.execute(sql, values, wait); }));
            },
            pyb::arg("sql"), pyb::arg("params") = pyb::none(), pyb::arg("wait") = true)
        .def(
            "begin", [](PyLease& self, bool wait) { auto& l = self.get(); return without_gil([&] { return l.begin(wait); }); },
            pyb::arg("wait") = true)
        .def("commit", [](PyLease& self) { auto& l = self.get(); without_gil([&] { l.commit(); return 0; }); })
        .def("rollback", [](PyLease& self) { auto& l = self.get(); without_gil([&] { l.rollback(); return 0; }); })
        .def_property_readonly("depth", [](PyLease& self) { return self.lease ? self.lease->depth() : 0; })
        .def("close", [](PyLease& self) {
            pyb::gil_scoped_release release;  // an open transaction is rolled back: SQLite work
            self.lease.reset();
        });

    pyb::class_<db::SqlitePool, std::shared_ptr<db::SqlitePool>>(
        m, "SqlitePool", "A pool of SQLite connections to one file (engine/db/sqlite_pool.hpp).")
        .def(pyb::init([](const std::string& path, std::size_t pool_size, double timeout_s, double max_lifetime_s) {
                 db::SqliteOptions o;
                 o.path = path;
                 o.pool_size = pool_size;
                 o.acquire_timeout = std::chrono::milliseconds(static_cast<long long>(timeout_s * 1000));
                 o.max_lifetime = std::chrono::seconds(static_cast<long long>(max_lifetime_s));
                 note_database_opened();
                 return without_gil([&] { return std::make_shared<db::SqlitePool>(std::move(o)); });
             }),
             pyb::arg("path"), pyb::arg("pool_size") = 10, pyb::arg("timeout_s") = 5.0, pyb::arg("max_lifetime_s") = 1800.0)
        .def(
            "execute",
            [](db::SqlitePool& pool, const std::string& sql, pyb::handle params) {
                auto values = to_values(params);
                return to_python(without_gil([&] { return pool.execute(sql, values); }));
            },
            pyb::arg("sql"), pyb::arg("params") = pyb::none())
        .def(
            "execute_many",
            [](db::SqlitePool& pool, const std::string& sql, pyb::iterable param_sets) {
                std::vector<std::vector<db::DbValue>> sets;
                for (const auto& p : param_sets) sets.push_back(to_values(p));
                return without_gil([&] { return pool.execute_many(sql, sets); });
            },
            pyb::arg("sql"), pyb::arg("param_sets"))
        .def(
            "acquire",
            [](db::SqlitePool& pool, bool wait) -> pyb::object {
                auto lease = without_gil([&] { return pool.acquire(wait); });
                if (!lease) return pyb::none();
                auto holder = std::make_unique<PyLease>();
                holder->lease.emplace(std::move(*lease));
                return pyb::cast(std::move(holder));
            },
            pyb::arg("wait") = true,
            "A connection for a transaction; None when `wait` is false and none is free now.")
        .def("waiting", [](const db::SqlitePool& pool, int delta) { pool.meter()->waiting(delta); },
             "A caller starts (+1) or stops (-1) waiting for a connection or the writer lock (/metrics).")
        .def("stats", [](const db::SqlitePool& pool) {
            const auto s = pool.stats();
            return pyb::dict(pyb::arg("open") = s.open, pyb::arg("idle") = s.idle, pyb::arg("in_use") = s.in_use);
        })
        .def_property_readonly("pool_size", [](const db::SqlitePool& pool) { return pool.options().pool_size; });
}

}  // namespace cello::py
