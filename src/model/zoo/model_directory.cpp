#include "model/zoo/model_directory.hpp"

#include <cstdlib>
#include <system_error>

#include "core/sha256.hpp"

namespace resr {

std::filesystem::path resolve_models_directory(const std::string& flag_value) {
  if (!flag_value.empty()) return flag_value;
  const char* env = std::getenv(kModelsDirEnv);
  if (env != nullptr && *env != '\0') return env;
  return "models";
}

std::filesystem::path installed_path(const std::filesystem::path& models_dir,
                                     const CatalogFile& file) {
  return models_dir / std::string(file.installed_name);
}

Result<FileState> check_installed_file(const std::filesystem::path& models_dir,
                                       const CatalogFile& file) {
  const std::filesystem::path path = installed_path(models_dir, file);
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) return FileState::kMissing;
  // A size check first spares hashing a file that cannot match.
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (!ec && size != file.bytes) return FileState::kMismatch;
  RESR_ASSIGN_OR_RETURN(const std::string digest, sha256_file(path));
  return digest == file.sha256 ? FileState::kVerified : FileState::kMismatch;
}

const char* install_state_name(InstallState state) {
  switch (state) {
    case InstallState::kInstalled:
      return "installed";
    case InstallState::kNotInstalled:
      return "not installed";
    case InstallState::kDamaged:
      return "damaged";
  }
  return "damaged";
}

Result<InstallState> check_installed_model(const std::filesystem::path& models_dir,
                                           const CatalogModel& model) {
  int verified = 0;
  int missing = 0;
  for (const CatalogFile* file : model.files()) {
    RESR_ASSIGN_OR_RETURN(const FileState state, check_installed_file(models_dir, *file));
    verified += state == FileState::kVerified;
    missing += state == FileState::kMissing;
  }
  const int count = static_cast<int>(model.files().size());
  if (verified == count) return InstallState::kInstalled;
  if (missing == count) return InstallState::kNotInstalled;
  return InstallState::kDamaged;
}

Result<std::filesystem::path> resolve_model_argument(const std::string& arg,
                                                     const std::filesystem::path& models_dir) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(arg, ec)) return std::filesystem::path(arg);
  auto model = find_catalog_model(arg);
  if (!model.is_ok()) {
    return error(ErrorCode::kNotFound,
                 "-m " + arg + ": no such file, and " + model.status().message());
  }
  const std::filesystem::path param = installed_path(models_dir, (*model)->param);
  const std::filesystem::path bin = installed_path(models_dir, (*model)->bin);
  if (!std::filesystem::is_regular_file(param, ec) || !std::filesystem::is_regular_file(bin, ec)) {
    return error(ErrorCode::kNotFound,
                 "model " + arg + " is not installed in " + models_dir.string() +
                     "; run `real-esrgan-serve models fetch " + arg + "` (or pass --models-dir)");
  }
  return param;
}

}  // namespace resr
