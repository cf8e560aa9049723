// What a handler may put in a response. The engine writes the framing itself, so a handler's
// Content-Length or Transfer-Encoding could contradict it and split one response into two (or
// hide a second response inside the first); CR, LF and other controls could do the same.
#pragma once

#include "engine/http_types.hpp"

#include <string>
#include <string_view>

namespace cello::engine {

// RFC 9110 §5.6.2: a header name is a token.
bool is_token(std::string_view s) noexcept;
// RFC 9110 §5.5: no NUL, CR, LF or other control characters (HTAB and obs-text are allowed).
bool valid_field_value(std::string_view s) noexcept;
// Statuses a handler may answer with: 200–599. 1xx are interim answers of the protocol itself
// (101 belongs to an upgrade), and codes past 599 are not HTTP.
inline bool valid_handler_status(int status) noexcept { return status >= 200 && status <= 599; }
// The fields that frame the message or the connection; the engine alone writes them.
bool is_framing_header(std::string_view name) noexcept;

// Why a handler's response cannot be sent as it is, or empty when it can. Checks the status, the
// content type and every header the handler set.
std::string handler_response_problem(const Response& res);

}  // namespace cello::engine
