// Reason phrases and the framework's common error body.
#pragma once

#include "engine/http_types.hpp"

#include <string>
#include <string_view>

namespace cello::engine {

// "Not Found" for 404; "Unknown" for codes without a registered phrase.
std::string_view reason_phrase(int status) noexcept;

// True for statuses that must not carry a body (1xx, 204, 304).
constexpr bool status_forbids_body(int status) noexcept {
    return (status >= 100 && status < 200) || status == 204 || status == 304;
}

// Fills `res` with the common error shape {"error": phrase, "status": code, "detail": detail}.
// An empty detail is written as null.
void make_error(Response& res, int status, std::string_view detail = {});

}  // namespace cello::engine
