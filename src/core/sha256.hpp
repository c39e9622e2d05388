// SHA-256 digests as lowercase hex, the form checksums are published in.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

#include "resr/status.hpp"

namespace resr {

// Incremental hashing, for data that arrives in pieces (archive entries,
// downloads) and should never be held whole in memory.
class Sha256 {
 public:
  Sha256();  // throws std::bad_alloc when OpenSSL cannot allocate its context
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(std::span<const uint8_t> bytes);
  // Ends the computation; the object must not be updated afterwards.
  std::string hex_digest();

 private:
  struct Context;
  std::unique_ptr<Context> context_;
};

std::string sha256_hex(std::span<const uint8_t> bytes);

// Reads the file in fixed-size blocks; kNotFound / kIoError name the file.
Result<std::string> sha256_file(const std::filesystem::path& path);

}  // namespace resr
