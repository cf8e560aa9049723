#include "py_request.hpp"

#include "bindings.hpp"
#include "engine/router.hpp"
#include "engine/tls/tls_info.hpp"
#include "engine/url.hpp"
#include "json_reader.hpp"
#include "py_request_body.hpp"

#include <pybind11/stl.h>

#include <optional>

namespace cello::py {

struct PyRequest::Owned {
    std::string bytes;  // every string `view` points at, back to back: one allocation
    std::vector<engine::Header> headers;
    std::optional<engine::TlsInfo> tls;
    engine::Request view;
};

namespace {

pyb::str str_of(std::string_view s) { return pyb::str(s.data(), s.size()); }

// Header bytes are Latin-1 by HTTP's rules, so any byte sequence decodes.
pyb::object latin1(std::string_view s) {
    return pyb::reinterpret_steal<pyb::object>(PyUnicode_DecodeLatin1(s.data(), static_cast<Py_ssize_t>(s.size()), nullptr));
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace

void PyRequest::attach(const engine::Request* view, pyb::handle app) {
    view_ = view;
    owned_.reset();
    app_ = pyb::reinterpret_borrow<pyb::object>(app);
    params_ = query_ = headers_ = cookies_ = body_ = text_ = json_ = form_ = state_ = after_ = body_stream_ = pyb::object();
    if (view && view->body_stream)  // a large body, still arriving: read on this thread's loop
        body_stream_ = pyb::cast(PyRequestBody(view->body_stream, pyb::module_::import("asyncio").attr("get_running_loop")()));
}

void PyRequest::after_response(pyb::object fn) {
    if (!after_) after_ = pyb::list();
    after_.cast<pyb::list>().append(std::move(fn));
}

void PyRequest::detach() {
    if (!view_ || owned_) return;
    const engine::Request& v = *view_;
    const std::string_view* const scalars[] = {&v.method, &v.target, &v.raw_path, &v.path, &v.query, &v.body, &v.client_ip, &v.id};
    std::size_t size = 0;
    for (const std::string_view* f : scalars) size += f->size();
    for (std::size_t i = 0; i < v.header_count; ++i) size += v.headers[i].name.size() + v.headers[i].value.size();
    for (std::size_t i = 0; i < v.match.param_count; ++i) size += v.match.params[i].name.size() + v.match.params[i].value.size();

    auto o = std::make_shared<Owned>();
    o->bytes.reserve(size);  // no reallocation below: the views stay valid
    const auto keep = [&bytes = o->bytes](std::string_view s) {
        const std::size_t at = bytes.size();
        bytes.append(s);
        return std::string_view(bytes.data() + at, s.size());
    };
    engine::Request& c = o->view;
    c = v;
    c.method = keep(v.method);
    c.target = keep(v.target);
    c.raw_path = keep(v.raw_path);
    c.path = keep(v.path);
    c.query = keep(v.query);
    c.body = keep(v.body);
    c.client_ip = keep(v.client_ip);
    c.id = keep(v.id);
    o->headers.reserve(v.header_count);
    for (std::size_t i = 0; i < v.header_count; ++i) o->headers.push_back({keep(v.headers[i].name), keep(v.headers[i].value)});
    c.headers = o->headers.data();
    c.header_count = o->headers.size();
    for (std::size_t i = 0; i < v.match.param_count; ++i) {
        c.match.params[i].name = keep(v.match.params[i].name);
        c.match.params[i].value = keep(v.match.params[i].value);
    }
    c.match.route = nullptr;  // the route table may be replaced while the copy lives
    if (v.tls) c.tls = &o->tls.emplace(*v.tls);
    owned_ = std::move(o);
    view_ = &owned_->view;
}

pyb::object PyRequest::params() {
    if (!params_) {
        pyb::dict d;
        for (std::size_t i = 0; i < view_->match.param_count; ++i) {
            const auto& p = view_->match.params[i];
            pyb::object value;
            if (p.type == engine::ParamType::Int) {
                // The router's own rule, so every matched {x:int} converts (and in O(digits)).
                std::int64_t n = 0;
                if (!engine::parse_int_param(p.value, n)) throw std::logic_error("an {x:int} match that is no int");
                value = pyb::int_(n);
            } else {
                value = str_of(p.value);
            }
            d[str_of(p.name)] = value;
        }
        params_ = std::move(d);
    }
    return params_;
}

pyb::object PyRequest::query() {
    if (!query_) {
        std::vector<std::pair<std::string, std::string>> pairs;
        if (!engine::parse_query(view_->query, pairs))
            raise_http_error(400, "bad percent-encoding or invalid UTF-8 in the query string");
        query_ = bindings().query_type(pyb::cast(pairs));
    }
    return query_;
}

pyb::object PyRequest::query_string() const {
    PyObject* s = PyUnicode_DecodeUTF8(view_->query.data(), static_cast<Py_ssize_t>(view_->query.size()), nullptr);
    if (!s) {
        PyErr_Clear();
        raise_http_error(400, "the query string is not valid UTF-8");
    }
    return pyb::reinterpret_steal<pyb::object>(s);
}

pyb::object PyRequest::headers() {
    if (!headers_) {
        pyb::list items(view_->header_count);
        for (std::size_t i = 0; i < view_->header_count; ++i)
            items[i] = pyb::make_tuple(latin1(view_->headers[i].name), latin1(view_->headers[i].value));
        headers_ = bindings().headers_type(items);
    }
    return headers_;
}

pyb::object PyRequest::cookies() {
    if (!cookies_) {
        pyb::dict d;
        for (std::size_t i = 0; i < view_->header_count; ++i) {
            if (!engine::iequals(view_->headers[i].name, "cookie")) continue;
            std::string_view rest = view_->headers[i].value;
            while (!rest.empty()) {
                const auto semi = rest.find(';');
                const std::string_view part = trim(rest.substr(0, semi));
                rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
                const auto eq = part.find('=');
                if (eq == std::string_view::npos || eq == 0) continue;
                std::string_view value = trim(part.substr(eq + 1));
                if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
                d[latin1(trim(part.substr(0, eq)))] = latin1(value);
            }
        }
        cookies_ = std::move(d);
    }
    return cookies_;
}

pyb::object PyRequest::client() const { return pyb::make_tuple(str_of(view_->client_ip), view_->client_port); }

pyb::object PyRequest::tls() const {
    const engine::TlsInfo* t = view_->tls;
    if (!t) return pyb::none();
    const auto or_none = [](const std::string& s) -> pyb::object { return s.empty() ? pyb::object(pyb::none()) : pyb::str(s); };
    pyb::dict d;
    d["version"] = t->version;
    d["cipher"] = t->cipher;
    d["alpn"] = or_none(t->alpn);
    d["server_name"] = or_none(t->server_name);
    d["client_subject"] = or_none(t->client_subject);
    d["client_issuer"] = or_none(t->client_issuer);
    d["resumed"] = t->resumed;
    return d;
}

namespace {

pyb::object request_body_module() { return pyb::module_::import("cello._request_body"); }

}  // namespace

pyb::object PyRequest::body() {
    if (body_) return body_;
    if (body_stream_) {  // read as it arrives (a sync handler runs in a thread for this)
        body_ = request_body_module().attr("read_body")(body_stream_);
    } else {
        body_ = pyb::bytes(view_->body.data(), view_->body.size());
    }
    return body_;
}

std::string_view PyRequest::body_view() {
    if (!body_stream_) return view_->body;
    const pyb::object b = body();
    return {PyBytes_AS_STRING(b.ptr()), static_cast<std::size_t>(PyBytes_GET_SIZE(b.ptr()))};
}

pyb::object PyRequest::text() {
    if (!text_) {
        const std::string_view body = body_view();
        PyObject* s = PyUnicode_DecodeUTF8(body.data(), static_cast<Py_ssize_t>(body.size()), nullptr);
        if (!s) {
            PyErr_Clear();
            raise_http_error(400, "request body is not valid UTF-8");
        }
        text_ = pyb::reinterpret_steal<pyb::object>(s);
    }
    return text_;
}

pyb::object PyRequest::json() {
    if (!json_) {
        const std::string_view body = body_view();
        if (body.empty()) raise_http_error(400, "request body is empty; expected JSON");
        std::string error;
        PyObject* r = read_json(body, error);
        if (!r) raise_http_error(400, error);
        json_ = pyb::reinterpret_steal<pyb::object>(r);
    }
    return json_;
}

pyb::object PyRequest::form() {
    if (form_) return form_;
    if (body_stream_ && !body_) {  // files spool to disk as they arrive
        form_ = request_body_module().attr("read_form")(body_stream_, latin1(view_->header("content-type")));
    } else {
        form_ = bindings().parse_form(latin1(view_->header("content-type")), body());
    }
    return form_;
}

pyb::object PyRequest::state() {
    if (!state_) state_ = pyb::dict();
    return state_;
}

std::string PyRequest::repr() const {
    return "<Request " + std::string(view_->method) + " " + std::string(view_->target) + ">";
}

namespace {

// (str, str) pairs from a mapping (or anything with .items()) or an iterable of pairs.
std::vector<std::pair<std::string, std::string>> string_pairs(const pyb::object& o, const char* what) {
    std::vector<std::pair<std::string, std::string>> out;
    if (o.is_none()) return out;
    pyb::object items = pyb::hasattr(o, "items") ? o.attr("items")() : o;
    for (pyb::handle pair : items) {
        pyb::tuple t = pyb::reinterpret_borrow<pyb::object>(pair);
        if (t.size() != 2) throw pyb::type_error(std::string(what) + " must be a mapping or (name, value) pairs");
        out.emplace_back(pyb::str(t[0]).cast<std::string>(), pyb::str(t[1]).cast<std::string>());
    }
    return out;
}

}  // namespace

PyRequest PyRequest::standalone(const std::string& method, const std::string& target, const pyb::object& params,
                                const pyb::object& query, const pyb::object& headers, const pyb::object& body) {
    std::string path = target, query_string;
    if (const auto q = target.find('?'); q != std::string::npos) {
        path = target.substr(0, q);
        query_string = target.substr(q + 1);
    }
    if (PyUnicode_Check(query.ptr())) {
        query_string = query.cast<std::string>();
        if (!query_string.empty() && query_string.front() == '?') query_string.erase(0, 1);
    } else if (!query.is_none()) {  // a mapping: encoded as a browser would
        query_string = pyb::module_::import("urllib.parse").attr("urlencode")(string_pairs(query, "query")).cast<std::string>();
    }
    std::string decoded;
    if (!engine::percent_decode(path, decoded)) throw pyb::value_error("bad percent-encoding in the path: " + path);
    std::string body_bytes;
    if (PyUnicode_Check(body.ptr())) body_bytes = body.cast<std::string>();
    else if (!body.is_none()) body_bytes = pyb::bytes(body).cast<std::string>();
    const auto header_pairs = string_pairs(headers, "headers");
    const auto param_pairs = string_pairs(params, "params");
    if (param_pairs.size() > engine::kMaxParams) throw pyb::value_error("too many path parameters");
    std::string full_target = path + (query_string.empty() ? "" : "?" + query_string);

    std::vector<engine::Header> hs;
    for (const auto& [n, v] : header_pairs) hs.push_back({n, v});
    engine::Request v;
    v.method = method;
    v.target = full_target;
    v.raw_path = path;
    v.path = decoded;
    v.query = query_string;
    v.headers = hs.data();
    v.header_count = hs.size();
    v.body = body_bytes;
    v.client_ip = "127.0.0.1";
    for (const auto& [n, value] : param_pairs) v.match.params[v.match.param_count++] = {n, value, engine::ParamType::String};
    PyRequest r;
    r.view_ = &v;
    r.detach();  // copies everything `v` points at: `v` and the strings above go now
    return r;
}

void PyRequest::define(pyb::module_& m) {
    pyb::class_<PyRequest>(m, "Request", "An HTTP request. Members are converted only when accessed.")
        .def(pyb::init(&PyRequest::standalone), pyb::arg("method"), pyb::arg("path"), pyb::arg("params") = pyb::none(),
             pyb::arg("query") = pyb::none(), pyb::arg("headers") = pyb::none(), pyb::arg("body") = pyb::none(),
             "A request made by hand, for unit tests of handlers (the path may carry a ?query).")
        .def_property_readonly("method", &PyRequest::method)
        .def_property_readonly("path", &PyRequest::path, "Percent-decoded path.")
        .def_property_readonly("raw_path", &PyRequest::raw_path, "Path as received, not decoded.")
        .def_property_readonly("query_string", &PyRequest::query_string)
        .def_property_readonly("params", &PyRequest::params, "Path parameters (int for {name:int}).")
        .def_property_readonly("query", &PyRequest::query, "Query parameters (QueryParams).")
        .def_property_readonly("headers", &PyRequest::headers, "Case-insensitive headers.")
        .def_property_readonly("cookies", &PyRequest::cookies)
        .def_property_readonly("client", &PyRequest::client, "(ip, port) of the peer.")
        .def_property_readonly("tls", &PyRequest::tls,
                               "None over cleartext; else what TLS negotiated: version, cipher, alpn, server_name "
                               "(SNI), client_subject and client_issuer (the client certificate's, RFC 2253), resumed.")
        .def_property_readonly("scheme", [](const PyRequest& r) { return r.view_->tls ? "https" : "http"; },
                               "\"https\" when the connection is TLS, else \"http\" (a proxy's X-Forwarded-Proto: is_secure()).")
        .def_property_readonly("state", &PyRequest::state, "A per-request dict.")
        .def_property_readonly("app", &PyRequest::app)
        .def("_after_response", &PyRequest::after_response, pyb::arg("fn"),
             "fn(report) runs once the response is out (or the connection was lost first); report(message, "
             "traceback) records a failure against this request in the inspector (None without one).")
        .def_property_readonly(
            "id", [](const PyRequest& r) -> pyb::object { return r.id(); },
            "The request id (X-Request-ID) when enable_request_id() is on, else None.")
        .def("body", &PyRequest::body, "The body as bytes.")
        .def("text", &PyRequest::text, "The body as str; HTTPError(400) on bad UTF-8.")
        .def("json", &PyRequest::json, "The body parsed as JSON; HTTPError(400) when invalid.")
        .def("form", &PyRequest::form, "The body as form data (urlencoded or multipart).")
        .def_property_readonly("_body_stream", &PyRequest::body_stream,
                               "The body's native stream while it is still arriving (large bodies), else None.")
        .def("_set_body", &PyRequest::set_body, pyb::arg("body"), "Caches the body read by body_async().")
        .def("__repr__", &PyRequest::repr);
}

}  // namespace cello::py
