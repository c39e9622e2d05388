// Writes small npm-style tarballs (gzip-compressed tar) for tests: real
// entry paths with contents of the test's choosing, e.g. tampered weights.
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace resr::testing {

struct TarEntry {
  std::string path;
  std::string contents;
};

// Returns false when libarchive cannot write the file.
inline bool write_npm_tarball(const std::filesystem::path& tarball,
                              const std::vector<TarEntry>& entries) {
  archive* writer = archive_write_new();
  archive_write_add_filter_gzip(writer);
  archive_write_set_format_pax_restricted(writer);
  bool ok = archive_write_open_filename(writer, tarball.c_str()) == ARCHIVE_OK;
  for (const TarEntry& e : entries) {
    if (!ok) break;
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.path.c_str());
    archive_entry_set_filetype(entry, AE_IFREG);
    archive_entry_set_perm(entry, 0644);
    archive_entry_set_size(entry, static_cast<la_int64_t>(e.contents.size()));
    ok = archive_write_header(writer, entry) == ARCHIVE_OK &&
         archive_write_data(writer, e.contents.data(), e.contents.size()) ==
             static_cast<la_ssize_t>(e.contents.size());
    archive_entry_free(entry);
  }
  ok = archive_write_close(writer) == ARCHIVE_OK && ok;
  archive_write_free(writer);
  return ok;
}

}  // namespace resr::testing
