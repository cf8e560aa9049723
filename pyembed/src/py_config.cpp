#include "py_config.hpp"

#include <string>

namespace cello::py {

namespace pyb = pybind11;

namespace {

engine::ConfigValue to_value(const std::string& key, pyb::handle v) {
    if (v.is_none()) return std::monostate{};
    if (PyBool_Check(v.ptr())) return v.cast<bool>();
    if (PyLong_Check(v.ptr())) return v.cast<std::int64_t>();
    if (PyFloat_Check(v.ptr())) return v.cast<double>();
    if (PyUnicode_Check(v.ptr())) return v.cast<std::string>();
    if (PyDict_Check(v.ptr())) {
        engine::Pairs pairs;
        for (auto item : pyb::reinterpret_borrow<pyb::dict>(v))
            pairs.emplace_back(item.first.cast<std::string>(), item.second.cast<std::string>());
        return pairs;
    }
    if (PyList_Check(v.ptr()) || PyTuple_Check(v.ptr())) {
        pyb::sequence seq = pyb::reinterpret_borrow<pyb::sequence>(v);
        if (seq.size() > 0 && (PyTuple_Check(seq[0].ptr()) || PyList_Check(seq[0].ptr()))) {
            engine::Pairs pairs;
            for (pyb::handle item : seq) {
                pyb::sequence pair = pyb::reinterpret_borrow<pyb::sequence>(item);
                if (pair.size() != 2) throw pyb::type_error("setting '" + key + "': expected (name, value) pairs");
                pairs.emplace_back(pair[0].cast<std::string>(), pair[1].cast<std::string>());
            }
            return pairs;
        }
        std::vector<std::string> strings;
        for (pyb::handle item : seq) {
            if (!PyUnicode_Check(item.ptr())) throw pyb::type_error("setting '" + key + "': expected a list of str");
            strings.push_back(item.cast<std::string>());
        }
        return strings;
    }
    throw pyb::type_error("setting '" + key + "' has an unsupported type: " + std::string(Py_TYPE(v.ptr())->tp_name));
}

}  // namespace

engine::Config to_config(const pyb::dict& settings) {
    engine::Config config;
    for (auto item : settings) {
        const std::string key = item.first.cast<std::string>();
        config.set(key, to_value(key, item.second));
    }
    return config;
}

}  // namespace cello::py
