#include "engine/engine_file.hpp"

#include <array>
#include <cstring>
#include <nlohmann/json.hpp>

#include "core/byte_size.hpp"
#include "core/graph_validation.hpp"
#include "core/little_endian.hpp"
#include "core/pending_file.hpp"
#include "core/regular_file.hpp"
#include "core/sha256.hpp"
#include "engine/graph_structure.hpp"

namespace resr {

namespace {

using nlohmann::json;

constexpr std::array<char, 8> kMagic = {'R', 'E', 'S', 'R', 'E', 'N', 'G', 'N'};
constexpr uint64_t kPrefixBytes = 32;
constexpr uint64_t kDigestBytes = 64;  // SHA-256 as lowercase hex

uint64_t padding_after(uint64_t header_bytes) {
  const uint64_t end = kPrefixBytes + header_bytes;
  return (PackedBlobs::kAlignment - end % PackedBlobs::kAlignment) % PackedBlobs::kAlignment;
}

template <typename T>
void put_little_endian(std::array<uint8_t, kPrefixBytes>& prefix, size_t at, T value) {
  std::memcpy(prefix.data() + at, &value, sizeof value);
}

std::span<const uint8_t> as_u8(std::span<const std::byte> bytes) {
  return {reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()};
}

json model_info_to_json(const ModelInfo& m) {
  return {{"arch", m.arch},
          {"format", m.format},
          {"source", m.source},
          {"scale", m.scale},
          {"num_feat", m.num_feat},
          {"num_block", m.num_block},
          {"num_grow", m.num_grow},
          {"num_conv", m.num_conv},
          {"activation", m.activation},
          {"parameters", m.parameters},
          {"flops_per_pixel", m.flops_per_pixel}};
}

ModelInfo model_info_from_json(const json& j) {
  ModelInfo m;
  m.arch = j.at("arch").get<std::string>();
  m.format = j.at("format").get<std::string>();
  m.source = j.at("source").get<std::string>();
  m.scale = json_integer<int>(j.at("scale"));
  m.num_feat = json_integer<int>(j.at("num_feat"));
  m.num_block = json_integer<int>(j.at("num_block"));
  m.num_grow = json_integer<int>(j.at("num_grow"));
  m.num_conv = json_integer<int>(j.at("num_conv"));
  m.activation = j.at("activation").get<std::string>();
  m.parameters = json_integer<int64_t>(j.at("parameters"));
  m.flops_per_pixel = j.at("flops_per_pixel").get<double>();
  return m;
}

json header_to_json(const EngineFile& engine) {
  const EngineHeader& h = engine.header;
  json blobs = json::array();
  for (const PackedBlobs::Entry& e : engine.blobs.entries()) {
    blobs.push_back({{"name", e.name}, {"offset", e.offset}, {"size", e.size}});
  }
  json profile = nullptr;
  if (h.tile_profile) {
    profile = {
        {"min", h.tile_profile->min}, {"opt", h.tile_profile->opt}, {"max", h.tile_profile->max}};
  }
  return {{"format_version", kEngineFormatVersion},
          {"producer", h.producer},
          {"backend", h.backend},
          {"target", h.target},
          {"precision", precision_name(h.precision)},
          {"tile_profile", profile},
          {"model", model_info_to_json(h.model)},
          {"source_sha256", h.source_sha256},
          {"graph", graph_structure_to_json(engine.graph)},
          {"blobs", blobs}};
}

// The header's fields; the graph and blob index are read by the caller.
EngineHeader header_from_json(const json& j) {
  EngineHeader h;
  h.producer = j.at("producer").get<std::string>();
  h.backend = j.at("backend").get<std::string>();
  h.target = j.at("target").get<std::string>();
  const std::string precision = j.at("precision").get<std::string>();
  if (precision != "fp32" && precision != "bf16") {
    throw std::invalid_argument("unknown precision '" + precision + "'");
  }
  h.precision = precision == "bf16" ? Precision::kBf16 : Precision::kFp32;
  if (const json& p = j.at("tile_profile"); !p.is_null()) {
    h.tile_profile = TileProfile{json_integer<int>(p.at("min")), json_integer<int>(p.at("opt")),
                                 json_integer<int>(p.at("max"))};
    if (const Status s = check_tile_profile(*h.tile_profile); !s.is_ok()) {
      throw std::invalid_argument("tile profile " + to_string(*h.tile_profile) + ": " +
                                  s.message());
    }
  }
  h.model = model_info_from_json(j.at("model"));
  h.source_sha256 = j.at("source_sha256").get<std::string>();
  return h;
}

Status rebuild_error(ErrorCode code, const std::filesystem::path& path, const std::string& what) {
  return error(code, "engine file " + path.string() + " " + what +
                         "; rebuild it with `real-esrgan-serve build -m MODEL --engine " +
                         path.string() + "`");
}

// Sizes checked before anything is allocated: each must fit in what the file
// holds (compared without overflow) and stay within the caps.
Status check_sizes(const std::filesystem::path& path, uint64_t file_bytes, uint64_t header_bytes,
                   uint64_t payload_bytes) {
  const uint64_t room = file_bytes - kPrefixBytes - kDigestBytes;
  if (header_bytes > room || payload_bytes > room - header_bytes ||
      padding_after(header_bytes) != room - header_bytes - payload_bytes) {
    return rebuild_error(
        ErrorCode::kInvalidModel, path,
        "is truncated or has trailing bytes (" + std::to_string(file_bytes) +
            " bytes; its sizes say " +
            std::to_string(kPrefixBytes + header_bytes + padding_after(header_bytes) +
                           payload_bytes + kDigestBytes) +
            ")");
  }
  if (header_bytes > kMaxEngineHeaderBytes || payload_bytes > kMaxEnginePayloadBytes) {
    return rebuild_error(ErrorCode::kInvalidModel, path,
                         "declares a " + format_byte_size(header_bytes) + " header and a " +
                             format_byte_size(payload_bytes) +
                             " payload; an engine holds at most " +
                             format_byte_size(kMaxEngineHeaderBytes) + " and " +
                             format_byte_size(kMaxEnginePayloadBytes));
  }
  return Status::ok();
}

// SHA-256 of the file's first `bytes` bytes, read a block at a time.
Result<std::string> digest_of(const RegularFile& file, uint64_t bytes) {
  Sha256 digest;
  std::vector<uint8_t> block(uint64_t{1} << 20);
  for (uint64_t at = 0; at < bytes; at += block.size()) {
    const std::span<uint8_t> part =
        std::span(block).first(std::min<uint64_t>(block.size(), bytes - at));
    RESR_RETURN_IF_ERROR(file.read_at(at, part));
    digest.update(part);
  }
  return digest.hex_digest();
}

}  // namespace

Status write_engine_file(const std::filesystem::path& path, const EngineFile& engine) {
  const std::string header = header_to_json(engine).dump();
  const std::span<const std::byte> payload = engine.blobs.bytes();
  std::array<uint8_t, kPrefixBytes> prefix{};
  std::memcpy(prefix.data(), kMagic.data(), kMagic.size());
  put_little_endian<uint32_t>(prefix, 8, kEngineFormatVersion);
  put_little_endian<uint64_t>(prefix, 16, header.size());
  put_little_endian<uint64_t>(prefix, 24, payload.size());
  const std::vector<uint8_t> padding(padding_after(header.size()), 0);
  const std::span<const uint8_t> header_bytes(reinterpret_cast<const uint8_t*>(header.data()),
                                              header.size());

  Sha256 digest;
  RESR_ASSIGN_OR_RETURN(std::unique_ptr<PendingFile> file, PendingFile::create(path));
  for (std::span<const uint8_t> part : {std::span<const uint8_t>(prefix), header_bytes,
                                        std::span<const uint8_t>(padding), as_u8(payload)}) {
    digest.update(part);
    RESR_RETURN_IF_ERROR(file->write(part));
  }
  const std::string hex = digest.hex_digest();
  RESR_RETURN_IF_ERROR(file->write({reinterpret_cast<const uint8_t*>(hex.data()), hex.size()}));
  RESR_RETURN_IF_ERROR(file->finish_writing());
  return file->commit();
}

Result<EngineFile> read_engine_file(const std::filesystem::path& path) {
  RESR_ASSIGN_OR_RETURN(RegularFile file, RegularFile::open(path, "engine file"));
  const uint64_t file_bytes = file.size();
  std::array<uint8_t, kPrefixBytes> prefix{};
  RESR_RETURN_IF_ERROR(
      file.read_at(0, std::span(prefix).first(std::min(file_bytes, kPrefixBytes))));
  if (file_bytes < kMagic.size() || std::memcmp(prefix.data(), kMagic.data(), kMagic.size())) {
    return error(ErrorCode::kInvalidModel,
                 path.string() +
                     " is not a real-esrgan-serve engine file (it does not start with "
                     "\"RESRENGN\"); pass model files with -m, engines made by "
                     "`real-esrgan-serve build` with -e");
  }
  if (file_bytes < kPrefixBytes + kDigestBytes) {
    return rebuild_error(ErrorCode::kInvalidModel, path,
                         "is truncated (" + std::to_string(file_bytes) + " bytes)");
  }
  const auto version = load_little_endian<uint32_t>(prefix.data() + 8);
  if (version != kEngineFormatVersion) {
    return rebuild_error(ErrorCode::kUnsupported, path,
                         "has format version " + std::to_string(version) +
                             ", but this real-esrgan-serve reads version " +
                             std::to_string(kEngineFormatVersion));
  }
  const auto header_bytes = load_little_endian<uint64_t>(prefix.data() + 16);
  const auto payload_bytes = load_little_endian<uint64_t>(prefix.data() + 24);
  RESR_RETURN_IF_ERROR(check_sizes(path, file_bytes, header_bytes, payload_bytes));

  // The checksum first, streamed: a file whose bytes do not match costs no
  // memory, whatever its sizes say.
  std::string stored(kDigestBytes, '\0');
  RESR_RETURN_IF_ERROR(file.read_at(file_bytes - kDigestBytes,
                                    {reinterpret_cast<uint8_t*>(stored.data()), kDigestBytes}));
  RESR_ASSIGN_OR_RETURN(const std::string digest, digest_of(file, file_bytes - kDigestBytes));
  if (digest != stored) {
    return rebuild_error(ErrorCode::kChecksumMismatch, path,
                         "is corrupted (its SHA-256 does not match its content)");
  }

  std::string header(header_bytes, '\0');
  RESR_RETURN_IF_ERROR(
      file.read_at(kPrefixBytes, {reinterpret_cast<uint8_t*>(header.data()), header.size()}));
  try {
    const json j = json::parse(header);
    EngineFile engine;
    engine.header = header_from_json(j);
    RESR_ASSIGN_OR_RETURN(engine.graph, graph_structure_from_json(j.at("graph")));
    if (engine.graph.scale != engine.header.model.scale) {
      throw std::invalid_argument("the model's scale " + std::to_string(engine.header.model.scale) +
                                  " is not the graph's " + std::to_string(engine.graph.scale));
    }
    if (const Status s = validate_graph(engine.graph, ConvWeights::kPackedApart); !s.is_ok()) {
      return rebuild_error(ErrorCode::kInvalidModel, path, "holds an " + s.message());
    }
    std::vector<PackedBlobs::Entry> entries;
    for (const json& b : j.at("blobs")) {
      entries.push_back({b.at("name").get<std::string>(), json_integer<uint64_t>(b.at("offset")),
                         json_integer<uint64_t>(b.at("size"))});
    }
    std::shared_ptr<std::byte[]> payload = PackedBlobs::allocate(payload_bytes);
    RESR_RETURN_IF_ERROR(file.read_at(kPrefixBytes + header_bytes + padding_after(header_bytes),
                                      {reinterpret_cast<uint8_t*>(payload.get()), payload_bytes}));
    RESR_ASSIGN_OR_RETURN(engine.blobs, PackedBlobs::from_bytes(std::move(payload), payload_bytes,
                                                                std::move(entries)));
    return engine;
  } catch (const std::exception& e) {
    return rebuild_error(ErrorCode::kInvalidModel, path,
                         std::string("has a malformed header: ") + e.what());
  }
}

}  // namespace resr
