// Engine files edited the way an attacker would: a header changed and its
// sizes, padding and checksum redone, so that only the edit can fail it.
#pragma once

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "core/sha256.hpp"
#include "support/run_binary.hpp"

namespace resr::testing {

inline void edit_engine_header(const std::filesystem::path& p,
                               const std::function<void(nlohmann::json&)>& edit) {
  const std::string bytes = read_whole_file(p.string());
  uint64_t header_size = 0, payload_size = 0;
  std::memcpy(&header_size, bytes.data() + 16, sizeof header_size);
  std::memcpy(&payload_size, bytes.data() + 24, sizeof payload_size);
  nlohmann::json header = nlohmann::json::parse(bytes.substr(32, header_size));
  edit(header);
  const std::string text = header.dump();
  std::string edited = bytes.substr(0, 32);
  header_size = text.size();
  std::memcpy(edited.data() + 16, &header_size, sizeof header_size);
  edited += text;
  edited.append((64 - edited.size() % 64) % 64, '\0');
  edited += bytes.substr(bytes.size() - 64 - payload_size, payload_size);
  edited += sha256_hex({reinterpret_cast<const uint8_t*>(edited.data()), edited.size()});
  std::ofstream(p, std::ios::binary | std::ios::trunc) << edited;
}

}  // namespace resr::testing
