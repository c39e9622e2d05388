// The engine file `build` writes: a model compiled for one backend, precision
// and machine, its weights already in the backend's packed layout.
//
//   offset 0   "RESRENGN"            magic
//          8   u32 format version    (kEngineFormatVersion)
//         12   u32 0                 reserved
//         16   u64 header bytes      H
//         24   u64 payload bytes     P
//         32   header                JSON: producer, backend, target, precision,
//                                    tile profile, source model (arch, scale,
//                                    sha256), the graph's structure, blob index
//              zeros to a 64-byte boundary
//              payload               the packed blobs, each 64-byte aligned
//              64 bytes              SHA-256 of everything before it, in hex
//
// Integers are little-endian. The trailing checksum makes a truncated or
// corrupted file an error before anything of it is used.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "backend/backend.hpp"
#include "backend/packed_blobs.hpp"
#include "core/graph.hpp"
#include "engine/tile_profile.hpp"
#include "model/model.hpp"
#include "resr/status.hpp"

namespace resr {

inline constexpr uint32_t kEngineFormatVersion = 1;
// Far above any engine `build` writes (RealESRGAN_x4plus: a ~150 KiB header,
// 67 MB of fp32 weights), and low enough that a crafted file's sizes cannot
// make a load ask for more memory than a machine that runs the model has.
inline constexpr uint64_t kMaxEngineHeaderBytes = uint64_t{16} << 20;
inline constexpr uint64_t kMaxEnginePayloadBytes = uint64_t{1} << 30;

struct EngineHeader {
  std::string producer;  // "real-esrgan-serve <version>"
  std::string backend;
  std::string target;  // Backend::target() on the machine that built it
  Precision precision = Precision::kFp32;
  std::optional<TileProfile> tile_profile;
  ModelInfo model;            // of the source model
  std::string source_sha256;  // of the source model file (ncnn: the .param, then the .bin)
};

struct EngineFile {
  EngineHeader header;
  Graph graph;  // the structure; the weights are in `blobs`
  PackedBlobs blobs;
};

// Written beside `path` and renamed into place when complete.
Status write_engine_file(const std::filesystem::path& path, const EngineFile& engine);

// kNotFound / kIoError (cannot read), kInvalidArgument (not a regular file),
// kInvalidModel (not an engine file, truncated, over the caps, a malformed
// header), kChecksumMismatch (corrupted), kUnsupported (another format
// version). Says to rebuild.
Result<EngineFile> read_engine_file(const std::filesystem::path& path);

}  // namespace resr
