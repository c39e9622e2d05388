// Where installed models live and whether a catalog model is installed there.
#pragma once

#include <filesystem>
#include <string>

#include "model/zoo/model_catalog.hpp"
#include "resr/status.hpp"

namespace resr {

inline constexpr const char* kModelsDirEnv = "REAL_ESRGAN_MODELS";

// The --models-dir flag when given (non-empty), else $REAL_ESRGAN_MODELS when
// set and non-empty, else ./models.
std::filesystem::path resolve_models_directory(const std::string& flag_value);

std::filesystem::path installed_path(const std::filesystem::path& models_dir,
                                     const CatalogFile& file);

enum class FileState { kMissing, kVerified, kMismatch };
// Hashes the installed copy of `file`; kIoError when it exists but is unreadable.
Result<FileState> check_installed_file(const std::filesystem::path& models_dir,
                                       const CatalogFile& file);

enum class InstallState { kInstalled, kNotInstalled, kDamaged };
const char* install_state_name(InstallState state);  // "installed", "not installed", "damaged"
// kInstalled when every file verifies; kNotInstalled when none is present;
// kDamaged otherwise (a file is missing or its sha256 differs).
Result<InstallState> check_installed_model(const std::filesystem::path& models_dir,
                                           const CatalogModel& model);

// What -m ARG names: an existing file, else a catalog model installed in
// models_dir (its .param path). kNotFound says how to install a missing one.
Result<std::filesystem::path> resolve_model_argument(const std::string& arg,
                                                     const std::filesystem::path& models_dir);

}  // namespace resr
