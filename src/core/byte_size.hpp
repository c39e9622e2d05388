// Human byte sizes for flags and config: "512M", "2G", "1.5GiB", "1000000".
#pragma once

#include <cstdint>
#include <string>

#include "resr/status.hpp"

namespace resr {

Result<int64_t> parse_byte_size(const std::string& text);

}  // namespace resr
