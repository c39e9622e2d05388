// libFuzzer entry point for load_pth. Input starting with "PK" is a whole
// checkpoint. Anything else becomes the data.pkl of an archive built here with
// correct CRCs and two valid storages ('0': 64 floats, '1': 64 halves), so that
// mutations reach the pickle reader and the tensor rebuild instead of stopping
// at the zip's CRC check.
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "model/formats/pth/pth_format.hpp"

namespace {

void put16(std::vector<uint8_t>& out, uint32_t value) {
  out.push_back(static_cast<uint8_t>(value));
  out.push_back(static_cast<uint8_t>(value >> 8));
}

void put32(std::vector<uint8_t>& out, uint32_t value) {
  put16(out, value & 0xffff);
  put16(out, value >> 16);
}

struct Member {
  std::string name;
  std::vector<uint8_t> data;
};

// A stored (uncompressed) zip archive of `members`.
std::vector<uint8_t> stored_zip(const std::vector<Member>& members) {
  std::vector<uint8_t> archive;
  std::vector<uint8_t> directory;
  for (const Member& member : members) {
    const uint32_t crc = static_cast<uint32_t>(crc32_z(0, member.data.data(), member.data.size()));
    const uint32_t size = static_cast<uint32_t>(member.data.size());
    const uint32_t offset = static_cast<uint32_t>(archive.size());
    const uint32_t name_size = static_cast<uint32_t>(member.name.size());
    put32(archive, 0x04034b50);
    for (uint32_t field : {20u, 0u, 0u, 0u, 0u}) put16(archive, field);  // version .. date
    for (uint32_t field : {crc, size, size}) put32(archive, field);
    put16(archive, name_size);
    put16(archive, 0);
    archive.insert(archive.end(), member.name.begin(), member.name.end());
    archive.insert(archive.end(), member.data.begin(), member.data.end());

    put32(directory, 0x02014b50);
    for (uint32_t field : {20u, 20u, 0u, 0u, 0u, 0u}) put16(directory, field);
    for (uint32_t field : {crc, size, size}) put32(directory, field);
    for (uint32_t field : {name_size, 0u, 0u, 0u, 0u}) put16(directory, field);
    put32(directory, 0);  // external attributes
    put32(directory, offset);
    directory.insert(directory.end(), member.name.begin(), member.name.end());
  }
  const uint32_t directory_offset = static_cast<uint32_t>(archive.size());
  archive.insert(archive.end(), directory.begin(), directory.end());
  put32(archive, 0x06054b50);
  const uint32_t count = static_cast<uint32_t>(members.size());
  for (uint32_t field : {0u, 0u, count, count}) put16(archive, field);
  put32(archive, static_cast<uint32_t>(directory.size()));
  put32(archive, directory_offset);
  put16(archive, 0);  // comment length
  return archive;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size >= 2 && data[0] == 'P' && data[1] == 'K') {
    (void)resr::load_pth({data, size}, "fuzz.pth");
    return 0;
  }
  std::vector<uint8_t> floats(64 * 4);
  std::vector<uint8_t> halves(64 * 2);
  for (size_t i = 0; i < floats.size(); ++i) floats[i] = static_cast<uint8_t>(i * 7);
  for (size_t i = 0; i < halves.size(); ++i) halves[i] = static_cast<uint8_t>(i * 5);
  const std::vector<uint8_t> archive = stored_zip({
      {"archive/data.pkl", std::vector<uint8_t>(data, data + size)},
      {"archive/data/0", floats},
      {"archive/data/1", halves},
  });
  (void)resr::load_pth(archive, "fuzz.pth");
  return 0;
}
