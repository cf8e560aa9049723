// The _cello extension module: the bridge between the `cello` package and the engine.
#include "bindings.hpp"
#include "engine/middleware_registry.hpp"
#include "engine/url.hpp"
#include "py_database.hpp"
#include "py_health.hpp"
#include "py_html_escape.hpp"
#include "py_cache.hpp"
#include "py_cluster.hpp"
#include "py_loop.hpp"
#include "json_reader.hpp"
#include "json_writer.hpp"
#include "py_multipart.hpp"
#include "py_request.hpp"
#include "py_request_body.hpp"
#include "py_redis.hpp"
#include "py_tls.hpp"
#include "py_websocket.hpp"
#include "py_request_trace.hpp"
#include "py_server.hpp"
#include "py_task_registry.hpp"

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

namespace pyb = pybind11;
using namespace cello::py;

PYBIND11_MODULE(_cello, m) {
    m.doc() = "Native core of the Cello web engine.";
    m.attr("__version__") = CELLO_VERSION;

    m.def("_bind",
          [](pyb::object response, pyb::object http_error, pyb::object headers, pyb::object query, pyb::object form) {
              Bindings b;
              b.response_type = std::move(response);
              b.http_error = std::move(http_error);
              b.headers_type = std::move(headers);
              b.query_type = std::move(query);
              b.parse_form = std::move(form);
              b.format_exc = pyb::module_::import("traceback").attr("format_exception");
              set_bindings(std::move(b));
          },
          "Registers the cello package's classes with the native core.");
    m.def("_unbind", &clear_bindings, "Drops the registered classes (at interpreter exit).");

    m.def("dumps",
          [](pyb::handle obj) {
              std::string out, error;
              if (!write_json(obj.ptr(), out, error)) throw pyb::type_error(error);
              return pyb::bytes(out);
          },
          pyb::arg("obj"), "Serializes to compact JSON bytes with the native writer.");
    m.def("loads",
          [](pyb::handle data) {
              std::string_view text;
              std::string holder;
              if (PyBytes_Check(data.ptr())) text = {PyBytes_AS_STRING(data.ptr()), static_cast<std::size_t>(PyBytes_GET_SIZE(data.ptr()))};
              else holder = data.cast<std::string>(), text = holder;
              std::string error;
              PyObject* r = read_json(text, error);
              if (!r) throw pyb::value_error(error);
              return pyb::reinterpret_steal<pyb::object>(r);
          },
          pyb::arg("data"), "Parses JSON (bytes or str) with simdjson.");

    m.def("parse_urlencoded",
          [](pyb::bytes data) {
              std::vector<std::pair<std::string, std::string>> pairs;
              if (!cello::engine::parse_query(std::string_view(data), pairs))
                  throw pyb::value_error("bad percent-encoding or invalid UTF-8");
              return pairs;
          },
          pyb::arg("data"),
          "Splits name=value&... into decoded (name, value) pairs, '+' as space: the rule of "
          "request.query. ValueError on a bad %-escape (%zz, a lone %) or invalid UTF-8.");

    m.def(
        "middleware_names",
        [] {
            std::vector<std::string> names;
            for (const auto name : cello::engine::middleware_names()) names.emplace_back(name);
            return names;
        },
        "The native middleware that can be enabled, in chain order (engine/middleware/registered.inc).");

    define_cache(m);
    define_database(m);
    define_html_escape(m);
    define_health(m);
    define_cluster(m);
    define_loop(m);
    define_task_registry(m);
    define_multipart(m);
    define_request_trace(m);
    PyRequestBody::define(m);
    define_websocket(m);
    define_tls(m);
    define_redis(m);
    PyRequest::define(m);
    PyRouteTable::define(m);
    PyInspector::define(m);
    PyServer::define(m);
}
