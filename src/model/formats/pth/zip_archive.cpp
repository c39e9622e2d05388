#include "model/formats/pth/zip_archive.hpp"

#include <zlib.h>

#include <limits>
#include <optional>

#include "core/little_endian.hpp"

namespace resr {

namespace {

constexpr uint32_t kLocalHeaderSignature = 0x04034b50;
constexpr uint32_t kCentralHeaderSignature = 0x02014b50;
constexpr uint32_t kEndRecordSignature = 0x06054b50;
constexpr uint32_t kZip64EndRecordSignature = 0x06064b50;
constexpr uint32_t kZip64LocatorSignature = 0x07064b50;
constexpr uint64_t kLocalHeaderSize = 30;
constexpr uint64_t kCentralHeaderSize = 46;
constexpr uint64_t kEndRecordSize = 22;
constexpr uint64_t kZip64EndRecordSize = 56;
constexpr uint64_t kZip64LocatorSize = 20;
constexpr uint64_t kMaxCommentSize = 0xffff;
constexpr uint16_t kZip64ExtraFieldId = 0x0001;
constexpr uint16_t kFlagEncrypted = 0x0001;
constexpr uint16_t kMethodStored = 0;
constexpr uint16_t kMethodDeflate = 8;
constexpr uint32_t kSaturated32 = 0xffffffff;
constexpr uint16_t kSaturated16 = 0xffff;
// Deflate never expands data more than ~1032:1 (a 258-byte match costs at
// least two bits), so a larger claimed size is a lie we need not allocate for.
constexpr uint64_t kMaxDeflateRatio = 1032;
constexpr uint64_t kDeflateSlack = 1024;

Status invalid(std::string message) { return error(ErrorCode::kInvalidModel, std::move(message)); }

// Whether `count` bytes at `offset` lie within the first `limit` bytes.
bool fits(uint64_t offset, uint64_t count, uint64_t limit) {
  return offset <= limit && count <= limit - offset;
}

uint16_t u16(const uint8_t* p) { return load_little_endian<uint16_t>(p); }
uint32_t u32(const uint8_t* p) { return load_little_endian<uint32_t>(p); }
uint64_t u64(const uint8_t* p) { return load_little_endian<uint64_t>(p); }

// The end record is the last 22 bytes plus a comment of at most 64 KiB; a
// candidate counts only if its comment length reaches exactly the end of the
// file, so signature bytes inside data or comments do not fool us.
std::optional<uint64_t> find_end_record(std::span<const uint8_t> bytes) {
  if (bytes.size() < kEndRecordSize) return std::nullopt;
  const uint64_t last = bytes.size() - kEndRecordSize;
  const uint64_t first = last > kMaxCommentSize ? last - kMaxCommentSize : 0;
  for (uint64_t pos = last + 1; pos-- > first;) {
    const uint8_t* p = &bytes[pos];
    if (u32(p) == kEndRecordSignature && pos + kEndRecordSize + u16(p + 20) == bytes.size()) {
      return pos;
    }
  }
  return std::nullopt;
}

// Fills the fields the central header saturated (0xffffffff) from the zip64
// extra field, which lists only those, in this order.
Status read_zip64_extra(std::span<const uint8_t> extra, ZipEntry& entry) {
  uint64_t* fields[] = {&entry.uncompressed_size, &entry.compressed_size,
                        &entry.local_header_offset};
  size_t pos = 0;
  while (pos + 4 <= extra.size()) {
    const uint16_t id = u16(&extra[pos]);
    const uint16_t size = u16(&extra[pos + 2]);
    pos += 4;
    if (size > extra.size() - pos) break;
    if (id == kZip64ExtraFieldId) {
      size_t field_pos = pos;
      for (uint64_t* field : fields) {
        if (*field != kSaturated32) continue;
        if (field_pos + 8 > pos + size) break;
        *field = u64(&extra[field_pos]);
        field_pos += 8;
      }
      break;
    }
    pos += size;
  }
  for (const uint64_t* field : fields) {
    if (*field == kSaturated32) {
      return invalid("zip entry '" + entry.name + "' lacks the zip64 sizes its header refers to");
    }
  }
  return Status::ok();
}

Status check_crc(const ZipEntry& entry, std::span<const uint8_t> data) {
  const uLong crc = crc32_z(0, data.data(), data.size());
  if (crc != entry.crc32) {
    return invalid("zip entry '" + entry.name +
                   "' is corrupted (CRC-32 mismatch); download or copy the file again");
  }
  return Status::ok();
}

}  // namespace

Result<ZipArchive> ZipArchive::open(std::span<const uint8_t> bytes) {
  ZipArchive archive(bytes);
  RESR_RETURN_IF_ERROR(archive.read_central_directory());
  return archive;
}

Status ZipArchive::read_central_directory() {
  const std::optional<uint64_t> end = find_end_record(bytes_);
  if (!end) {
    return invalid(
        "no zip end-of-central-directory record: the file is truncated or is not a zip archive");
  }
  const uint8_t* record = &bytes_[*end];
  uint64_t disk = u16(record + 4);
  uint64_t directory_disk = u16(record + 6);
  uint64_t entries_on_disk = u16(record + 8);
  uint64_t count = u16(record + 10);
  uint64_t directory_size = u32(record + 12);
  uint64_t directory_offset = u32(record + 16);
  if (count == kSaturated16 || directory_size == kSaturated32 || directory_offset == kSaturated32) {
    // Zip64: a locator right before the end record points at the real values.
    if (*end < kZip64LocatorSize ||
        u32(&bytes_[*end - kZip64LocatorSize]) != kZip64LocatorSignature) {
      return invalid("zip end record refers to a zip64 record that is missing");
    }
    const uint64_t zip64_offset = u64(&bytes_[*end - kZip64LocatorSize + 8]);
    if (!fits(zip64_offset, kZip64EndRecordSize, *end - kZip64LocatorSize) ||
        u32(&bytes_[zip64_offset]) != kZip64EndRecordSignature) {
      return invalid("zip64 end record at byte " + std::to_string(zip64_offset) +
                     " is missing or damaged");
    }
    const uint8_t* zip64 = &bytes_[zip64_offset];
    disk = u32(zip64 + 16);
    directory_disk = u32(zip64 + 20);
    entries_on_disk = u64(zip64 + 24);
    count = u64(zip64 + 32);
    directory_size = u64(zip64 + 40);
    directory_offset = u64(zip64 + 48);
  }
  if (disk != 0 || directory_disk != 0 || entries_on_disk != count) {
    return invalid("split (multi-disk) zip archives are not supported");
  }
  if (!fits(directory_offset, directory_size, *end)) {
    return invalid("zip central directory (" + std::to_string(directory_size) + " bytes at byte " +
                   std::to_string(directory_offset) +
                   ") lies outside the file: the file is truncated or damaged");
  }
  if (count > directory_size / kCentralHeaderSize) {
    return invalid("zip central directory claims " + std::to_string(count) +
                   " entries, more than its " + std::to_string(directory_size) + " bytes can hold");
  }
  const uint64_t directory_end = directory_offset + directory_size;
  entries_.reserve(count);
  uint64_t pos = directory_offset;
  for (uint64_t i = 0; i < count; ++i) {
    const std::string where =
        "zip central directory entry " + std::to_string(i) + " at byte " + std::to_string(pos);
    if (!fits(pos, kCentralHeaderSize, directory_end) ||
        u32(&bytes_[pos]) != kCentralHeaderSignature) {
      return invalid(where + " is damaged");
    }
    const uint8_t* header = &bytes_[pos];
    const uint64_t name_size = u16(header + 28);
    const uint64_t extra_size = u16(header + 30);
    const uint64_t comment_size = u16(header + 32);
    const uint64_t variable_size = name_size + extra_size + comment_size;
    if (!fits(pos + kCentralHeaderSize, variable_size, directory_end)) {
      return invalid(where + " runs past the end of the central directory");
    }
    ZipEntry entry;
    entry.flags = u16(header + 8);
    entry.method = u16(header + 10);
    entry.crc32 = u32(header + 16);
    entry.compressed_size = u32(header + 20);
    entry.uncompressed_size = u32(header + 24);
    entry.local_header_offset = u32(header + 42);
    entry.name.assign(reinterpret_cast<const char*>(header + kCentralHeaderSize), name_size);
    if (entry.compressed_size == kSaturated32 || entry.uncompressed_size == kSaturated32 ||
        entry.local_header_offset == kSaturated32) {
      RESR_RETURN_IF_ERROR(read_zip64_extra(
          bytes_.subspan(pos + kCentralHeaderSize + name_size, extra_size), entry));
    }
    entries_.push_back(std::move(entry));
    pos += kCentralHeaderSize + variable_size;
  }
  return Status::ok();
}

const ZipEntry* ZipArchive::find(std::string_view name) const {
  for (const ZipEntry& entry : entries_) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

Result<ZipEntryBytes> ZipArchive::read(const ZipEntry& entry) {
  const std::string what = "zip entry '" + entry.name + "'";
  if (entry.flags & kFlagEncrypted) return invalid(what + " is encrypted, which is not supported");
  const uint64_t header = entry.local_header_offset;
  if (!fits(header, kLocalHeaderSize, bytes_.size()) ||
      u32(&bytes_[header]) != kLocalHeaderSignature) {
    return invalid(what + ": its local header at byte " + std::to_string(header) +
                   " is missing or damaged (truncated file?)");
  }
  const uint64_t data_offset =
      header + kLocalHeaderSize + u16(&bytes_[header + 26]) + u16(&bytes_[header + 28]);
  if (!fits(data_offset, entry.compressed_size, bytes_.size())) {
    return invalid(what + " (" + std::to_string(entry.compressed_size) + " bytes at byte " +
                   std::to_string(data_offset) +
                   ") extends past the end of the file: the file is truncated");
  }
  const std::span<const uint8_t> data = bytes_.subspan(data_offset, entry.compressed_size);

  if (entry.method == kMethodStored) {
    if (entry.compressed_size != entry.uncompressed_size) {
      return invalid(what + " is stored but records different stored and original sizes");
    }
    RESR_RETURN_IF_ERROR(check_crc(entry, data));
    return ZipEntryBytes(data);
  }
  if (entry.method != kMethodDeflate) {
    return invalid(what + " uses compression method " + std::to_string(entry.method) +
                   "; only stored (0) and deflate (8) are supported");
  }
  if (entry.uncompressed_size > entry.compressed_size * kMaxDeflateRatio + kDeflateSlack ||
      entry.compressed_size > std::numeric_limits<uInt>::max()) {
    return invalid(what + " claims " + std::to_string(entry.uncompressed_size) + " bytes from " +
                   std::to_string(entry.compressed_size) +
                   " compressed bytes, which deflate cannot produce");
  }
  if (entry.uncompressed_size > kMaxInflatedBytes - inflated_bytes_) {
    return invalid(what + " would inflate the archive's entries past " +
                   std::to_string(kMaxInflatedBytes >> 30) +
                   " GiB; store the file uncompressed (as torch.save does)");
  }
  inflated_bytes_ += entry.uncompressed_size;

  // One spare byte lets inflate finish even for an empty entry.
  std::vector<uint8_t> inflated(entry.uncompressed_size + 1);
  z_stream stream{};
  if (inflateInit2(&stream, -MAX_WBITS) != Z_OK) {
    return error(ErrorCode::kResourceExhausted, "cannot start zlib to inflate " + what);
  }
  stream.next_in = const_cast<Bytef*>(data.data());
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = inflated.data();
  stream.avail_out = static_cast<uInt>(inflated.size());
  const int result = inflate(&stream, Z_FINISH);
  const uint64_t produced = stream.total_out;
  inflateEnd(&stream);
  if (result != Z_STREAM_END || produced != entry.uncompressed_size) {
    return invalid(what + " holds corrupt deflate data or data of another size than recorded");
  }
  inflated.resize(produced);
  RESR_RETURN_IF_ERROR(check_crc(entry, inflated));
  return ZipEntryBytes(std::move(inflated));
}

}  // namespace resr
