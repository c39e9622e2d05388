// Test helpers for image files: fixture paths, scratch folders, and reading a
// written image back into plain samples.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>
#include <vips/vips.h>
#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "image/vips_handle.hpp"
#include "image/vips_runtime.hpp"

namespace resr::testing {

inline std::filesystem::path fixture(const std::string& name) {
  return std::filesystem::path(RESR_TEST_DATA) / "images" / name;
}

inline std::string read_file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void write_file_bytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A fresh folder, removed with everything in it at the end of the test.
class ScratchDir {
 public:
  ScratchDir() {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("resr-pipeline-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
  const std::filesystem::path& path() const { return path_; }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(path_))
      out.push_back(e.path().filename());
    return out;
  }

 private:
  std::filesystem::path path_;
};

// Decoded samples of an image file, as stored (no orientation applied).
struct Pixels {
  int width = 0;
  int height = 0;
  int bands = 0;
  int bit_depth = 8;
  int orientation = 1;
  std::string exif_artist;  // libvips' text for the EXIF Artist tag, "" when absent
  std::vector<uint8_t> icc;
  std::vector<uint8_t> bytes;

  int at(int x, int y, int c) const {
    const size_t i = (static_cast<size_t>(y) * width + x) * bands + c;
    if (bit_depth == 16) {
      uint16_t v;
      std::memcpy(&v, &bytes[i * 2], 2);
      return v;
    }
    return bytes[i];
  }
};

inline Pixels read_pixels(const std::filesystem::path& path) {
  Pixels p;
  EXPECT_TRUE(ensure_vips().is_ok());
  VipsImagePtr image(vips_image_new_from_file(path.c_str(), nullptr));
  if (!image) {
    ADD_FAILURE() << "cannot read " << path << ": " << take_vips_error();
    return p;
  }
  p.width = image->Xsize;
  p.height = image->Ysize;
  p.bands = image->Bands;
  p.bit_depth = image->BandFmt == VIPS_FORMAT_USHORT ? 16 : 8;
  p.orientation = vips_image_get_orientation(image.get());
  const char* artist = nullptr;
  if (vips_image_get_typeof(image.get(), "exif-ifd0-Artist") != 0 &&
      vips_image_get_string(image.get(), "exif-ifd0-Artist", &artist) == 0) {
    p.exif_artist = artist;
  }
  const void* icc = nullptr;
  size_t icc_size = 0;
  if (vips_image_get_typeof(image.get(), VIPS_META_ICC_NAME) != 0 &&
      vips_image_get_blob(image.get(), VIPS_META_ICC_NAME, &icc, &icc_size) == 0) {
    p.icc.assign(static_cast<const uint8_t*>(icc), static_cast<const uint8_t*>(icc) + icc_size);
  }
  size_t size = 0;
  void* data = vips_image_write_to_memory(image.get(), &size);
  if (data == nullptr) {
    ADD_FAILURE() << "cannot decode " << path << ": " << take_vips_error();
    return p;
  }
  p.bytes.assign(static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
  g_free(data);
  return p;
}

// A valid PNG header announcing width x height, with a few bytes of pixel data.
inline std::string png_header_bomb(uint32_t width, uint32_t height) {
  auto be32 = [](uint32_t v) {
    return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                       static_cast<char>(v >> 8), static_cast<char>(v)};
  };
  auto chunk = [&](const std::string& type, const std::string& data) {
    const std::string body = type + data;
    const uLong crc = crc32(0, reinterpret_cast<const Bytef*>(body.data()), body.size());
    return be32(static_cast<uint32_t>(data.size())) + body + be32(static_cast<uint32_t>(crc));
  };
  std::string raw(1000, '\0');
  std::string packed(compressBound(raw.size()), '\0');
  uLongf packed_size = packed.size();
  compress(reinterpret_cast<Bytef*>(packed.data()), &packed_size,
           reinterpret_cast<const Bytef*>(raw.data()), raw.size());
  packed.resize(packed_size);
  const std::string ihdr = be32(width) + be32(height) + std::string("\x08\x02\x00\x00\x00", 5);
  return std::string("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", ihdr) + chunk("IDAT", packed) +
         chunk("IEND", "");
}

}  // namespace resr::testing
