#include "video/segment_manifest.hpp"

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/pending_file.hpp"

namespace resr {

namespace fs = std::filesystem;

namespace {
constexpr const char* kManifestName = "manifest.json";
}

bool SegmentManifest::finished(int index) const {
  for (const SegmentRecord& s : segments)
    if (s.index == index) return true;
  return false;
}

fs::path work_directory_for(const fs::path& output) {
  return fs::path(output.string() + ".resr-parts");
}

std::string segment_file_name(int index) {
  char name[32];
  std::snprintf(name, sizeof name, "segment-%05d.seg", index);
  return name;
}

Result<SegmentManifest> read_manifest(const fs::path& work_dir) {
  const fs::path path = work_dir / kManifestName;
  std::ifstream in(path);
  if (!in) return error(ErrorCode::kIoError, "cannot read " + path.string());
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  SegmentManifest m;
  if (j.is_discarded() || !j.is_object() || !j.contains("fingerprint") ||
      !j.contains("segment_frames") || !j.contains("segments") || !j["segments"].is_array()) {
    return error(ErrorCode::kInvalidArgument, path.string() +
                                                  " is not a manifest of this program; delete " +
                                                  work_dir.string() + " to start afresh");
  }
  try {
    m.fingerprint = j["fingerprint"].get<std::string>();
    m.segment_frames = j["segment_frames"].get<int64_t>();
    for (const auto& s : j["segments"]) {
      m.segments.push_back({s.at("index").get<int>(), s.at("first_frame").get<int64_t>(),
                            s.at("frames").get<int64_t>(), s.at("file").get<std::string>()});
    }
  } catch (const nlohmann::json::exception& e) {
    return error(ErrorCode::kInvalidArgument, path.string() + " is damaged (" + e.what() +
                                                  "); delete " + work_dir.string() +
                                                  " to start afresh");
  }
  return m;
}

Status write_manifest(const fs::path& work_dir, const SegmentManifest& m) {
  nlohmann::json segments = nlohmann::json::array();
  for (const SegmentRecord& s : m.segments) {
    segments.push_back({{"index", s.index},
                        {"first_frame", s.first_frame},
                        {"frames", s.frames},
                        {"file", s.file}});
  }
  const nlohmann::json j = {
      {"fingerprint", m.fingerprint}, {"segment_frames", m.segment_frames}, {"segments", segments}};
  const fs::path path = work_dir / kManifestName;
  RESR_ASSIGN_OR_RETURN(std::unique_ptr<PendingFile> file, PendingFile::create(path));
  RESR_RETURN_IF_ERROR(file->write(j.dump(2) + "\n"));
  return file->commit();
}

}  // namespace resr
