// The inspector API's JSON (schema: docs/inspector.md), both ways: the API writes it, and the
// studio reads it back into a Snapshot when attached to a remote server.
#pragma once

#include "inspector/snapshot.hpp"

#include <stdexcept>
#include <string>

namespace cello::inspector {

inline constexpr int kSchemaVersion = 1;

std::string to_json(const Snapshot& s);
// Throws std::invalid_argument on malformed JSON or a different schema version.
Snapshot snapshot_from_json(const std::string& text);

}  // namespace cello::inspector
