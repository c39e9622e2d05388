// The bookkeeping that makes a video run resumable: a work directory beside
// the output holds the finished segments and manifest.json, which says which
// segments are done and for which input and settings. Segment files and the
// manifest are written under temporary names and renamed, so after a kill
// everything the manifest lists is complete.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "resr/status.hpp"

namespace resr {

struct SegmentRecord {
  int index = 0;
  int64_t first_frame = 0;
  int64_t frames = 0;
  std::string file;  // inside the work directory
};

struct SegmentManifest {
  // What the segments were made from; a resumed run must match it exactly.
  std::string fingerprint;
  int64_t segment_frames = 0;
  std::vector<SegmentRecord> segments;  // finished ones, by index

  bool finished(int index) const;
};

// "<output>.resr-parts": beside the output, so the final rename stays on one file system.
std::filesystem::path work_directory_for(const std::filesystem::path& output);
std::string segment_file_name(int index);

// Errors: kIoError; kInvalidArgument when the manifest is not one this program wrote.
Result<SegmentManifest> read_manifest(const std::filesystem::path& work_dir);
Status write_manifest(const std::filesystem::path& work_dir, const SegmentManifest& manifest);

}  // namespace resr
