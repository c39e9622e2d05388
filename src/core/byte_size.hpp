// Human byte sizes for flags and config: "512M", "2G", "1.5GiB", "1000000";
// and back, for messages.
#pragma once

#include <cstdint>
#include <string>

#include "resr/status.hpp"

namespace resr {

Result<int64_t> parse_byte_size(const std::string& text);
// "3.0 GiB", "16 MiB", "512 bytes": for messages that state a size or a limit.
std::string format_byte_size(uint64_t bytes);

}  // namespace resr
