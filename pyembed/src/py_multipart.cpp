#include "py_multipart.hpp"

#include "engine/multipart.hpp"
#include "engine/multipart_stream.hpp"

#include <memory>
#include <stdexcept>
#include <string>

namespace cello::py {

namespace pyb = pybind11;
namespace mp = engine::multipart;

namespace {

// Raised (as _cello.MultipartError, a ValueError) with the text multipart.py puts in its 400.
class MultipartError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Text in the encoding the parser read it in. "surrogatepass" only matters for header_params(),
// whose str argument may hold lone surrogates; a part's UTF-8 header block is always valid.
pyb::str text(std::string_view s, mp::Encoding enc) {
    PyObject* o = enc == mp::Encoding::Latin1
                      ? PyUnicode_DecodeLatin1(s.data(), static_cast<Py_ssize_t>(s.size()), nullptr)
                      : PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "surrogatepass");
    if (!o) throw pyb::error_already_set();
    return pyb::reinterpret_steal<pyb::str>(o);
}

pyb::object optional_text(const std::optional<std::string_view>& s, mp::Encoding enc) {
    return s ? pyb::object(text(*s, enc)) : pyb::object(pyb::none());
}

// The part's headers as multipart.py has always given them to UploadFile: lower-cased names
// (Python's str.lower()), the last of repeated names winning, folded lines appended with a space.
pyb::dict headers_dict(const mp::Part& part) {
    pyb::dict d;
    pyb::object last;
    std::string value;  // the latest header's value with its continuation lines, still encoded
    for (const auto& h : part.headers) {
        if (h.continuation) {
            value += ' ';
            value += h.value;
            continue;
        }
        if (last) d[last] = text(value, part.encoding);
        last = text(h.name, part.encoding).attr("lower")();
        value.assign(h.value);
    }
    if (last) d[last] = text(value, part.encoding);
    return d;
}

// The text multipart.py puts in its 400: for a bad header line, Python's repr of its first 60
// characters, as multipart.py always showed it.
template <class R>
std::string message_of(const R& reader) {
    if (reader.error() != mp::Error::BadHeaderLine) return reader.message();
    const pyb::str line = text(reader.bad_line(), reader.bad_line_encoding());
    const pyb::object shown = line[pyb::slice(0, 60, 1)];
    return "malformed multipart body: bad part header line " + pyb::repr(shown).cast<std::string>();
}

// (name, filename, filename_ext, content_type, charset): text as sent (content_type not
// lower-cased), None for an absent parameter.
pyb::tuple part_names(const mp::Part& part) {
    const auto enc = part.encoding;
    return pyb::make_tuple(text(part.name, enc), optional_text(part.filename, enc), optional_text(part.filename_ext, enc),
                           text(part.content_type, enc), optional_text(part.charset, enc));
}

// Iterates over the parts of one body; holds the body so the parser's views stay valid.
class PyMultipartReader {
public:
    PyMultipartReader(pyb::bytes body, std::string boundary, std::size_t max_parts)
        : body_(std::move(body)), boundary_(std::move(boundary)),
          reader_(std::make_unique<mp::Reader>(
              std::string_view(PyBytes_AS_STRING(body_.ptr()), static_cast<std::size_t>(PyBytes_GET_SIZE(body_.ptr()))),
              boundary_, max_parts)) {}

    // (name, filename, filename_ext, content_type, charset, data_start, data_end, headers): text
    // as sent (content_type not lower-cased), None for an absent parameter; headers is a dict
    // when the part names a file, else None.
    pyb::tuple next() {
        mp::Part part;
        switch (reader_->next(part)) {
            case mp::Reader::Next::End: throw pyb::stop_iteration();
            case mp::Reader::Next::Error: throw MultipartError(message_of(*reader_));
            case mp::Reader::Next::Part: break;
        }
        const char* base = PyBytes_AS_STRING(body_.ptr());
        const bool names_file = part.filename || part.filename_ext;
        return part_names(part) + pyb::make_tuple(part.data.data() - base, part.data.data() + part.data.size() - base,
                                                  names_file ? pyb::object(headers_dict(part)) : pyb::object(pyb::none()));
    }

private:
    pyb::bytes body_;
    std::string boundary_;
    std::unique_ptr<mp::Reader> reader_;
};

// A body read as it arrives: feed() gives what it found in order, as a list of events: a tuple
// (name, filename, filename_ext, content_type, charset, headers-or-None) when a part begins, bytes
// of its data, None when it ends.
class PyMultipartStream final : private mp::StreamReader::Sink {
public:
    PyMultipartStream(const std::string& boundary, std::size_t max_parts) : reader_(boundary, max_parts) {}

    // The events, and the error's text (None without one): the events before an error come
    // first, so that a limit broken by an earlier part is reported as the whole-body reader would.
    pyb::tuple feed(const pyb::buffer& data) {
        const pyb::buffer_info info = data.request();
        events_ = pyb::list();
        const bool ok = reader_.feed({static_cast<const char*>(info.ptr), static_cast<std::size_t>(info.size * info.itemsize)}, *this);
        pyb::list out = std::move(events_);
        return pyb::make_tuple(out, ok ? pyb::object(pyb::none()) : pyb::object(pyb::str(message_of(reader_))));
    }

    void finish() {
        if (!reader_.finish()) throw MultipartError(message_of(reader_));
    }

private:
    void begin(const mp::Part& part) override {
        const bool names_file = part.filename || part.filename_ext;
        events_.append(part_names(part) + pyb::make_tuple(names_file ? pyb::object(headers_dict(part)) : pyb::object(pyb::none())));
    }
    void data(std::string_view bytes) override { events_.append(pyb::bytes(bytes.data(), bytes.size())); }
    void end() override { events_.append(pyb::none()); }

    mp::StreamReader reader_;
    pyb::list events_;
};

}  // namespace

void define_multipart(pyb::module_& m) {
    pyb::register_exception<MultipartError>(m, "MultipartError", PyExc_ValueError);
    m.attr("MAX_PART_HEADER_BYTES") = mp::kMaxPartHeaderBytes;
    pyb::class_<PyMultipartReader>(m, "MultipartReader",
                                   "The parts of a multipart/form-data body (engine/multipart.hpp).")
        .def(pyb::init<pyb::bytes, std::string, std::size_t>(), pyb::arg("body"), pyb::arg("boundary"),
             pyb::arg("max_parts"))
        .def("__iter__", [](pyb::object self) { return self; })
        .def("__next__", &PyMultipartReader::next);
    pyb::class_<PyMultipartStream>(m, "MultipartStream",
                                   "multipart/form-data read as it arrives (engine/multipart_stream.hpp).")
        .def(pyb::init<const std::string&, std::size_t>(), pyb::arg("boundary"), pyb::arg("max_parts"))
        .def("feed", &PyMultipartStream::feed, pyb::arg("data"),
             "(events, error) for the next piece: events are (name, filename, filename_ext, content_type, charset, "
             "headers) when a part begins, bytes of its data, None when it ends; error is the text of a "
             "malformation found after them, or None.")
        .def("finish", &PyMultipartStream::finish, "MultipartError when the body ended before its close delimiter.");

    m.def(
        "header_params",
        [](const pyb::str& value) {
            // UTF-8 with "surrogatepass": every str round-trips, and the parser's character rules
            // see the same characters Python's would.
            PyObject* raw = PyUnicode_AsEncodedString(value.ptr(), "utf-8", "surrogatepass");
            if (!raw) throw pyb::error_already_set();
            const auto bytes = pyb::reinterpret_steal<pyb::bytes>(raw);
            const std::string_view s(PyBytes_AS_STRING(raw), static_cast<std::size_t>(PyBytes_GET_SIZE(raw)));
            const auto parsed = mp::parse_header_value(s, mp::Encoding::Utf8);
            pyb::dict params;
            for (const auto& p : parsed.params) {
                const std::string v = mp::unquote(p.value);
                params[text(p.name, mp::Encoding::Utf8).attr("lower")()] = text(v, mp::Encoding::Utf8);
            }
            return pyb::make_tuple(text(parsed.main, mp::Encoding::Utf8).attr("lower")(), params);
        },
        pyb::arg("value"),
        "``form-data; name=\"a\"`` -> (\"form-data\", {\"name\": \"a\"}): the main value lower-cased, "
        "parameter names lower-cased, quoted values unquoted.");
}

}  // namespace cello::py
