// Opens and decodes the next image of a folder run on a background thread
// while the current one is upscaled, so decoding overlaps inference. Only an
// image whose decoded pixels fit in `max_decoded_bytes` is decoded ahead;
// a larger one is only opened ahead and streams as usual, so memory stays
// bounded whatever the images' size.
//
//   ImagePrefetcher prefetcher(limits, 64 << 20);
//   prefetcher.start(jobs[1].input);            // while jobs[0] runs
//   Result<InputImage> next = prefetcher.take(jobs[1].input);
#pragma once

#include <filesystem>
#include <future>
#include <optional>

#include "image/image_loader.hpp"

namespace resr {

class ImagePrefetcher {
 public:
  ImagePrefetcher(ImageLimits limits, int64_t max_decoded_bytes)
      : limits_(limits), max_decoded_bytes_(max_decoded_bytes) {}
  ~ImagePrefetcher();
  ImagePrefetcher(const ImagePrefetcher&) = delete;
  ImagePrefetcher& operator=(const ImagePrefetcher&) = delete;

  // Begins opening (and, if small enough, decoding) `path`; one at a time.
  void start(const std::filesystem::path& path);
  // The image `path`: the prefetched one (waiting for it), else opened now.
  // A decoding error surfaces here as kInvalidImage, as it would while streaming.
  Result<InputImage> take(const std::filesystem::path& path);

 private:
  ImageLimits limits_;
  int64_t max_decoded_bytes_;
  std::optional<std::filesystem::path> pending_path_;
  std::future<Result<InputImage>> pending_;
};

// Opens `path` and, when its decoded pixels fit in max_decoded_bytes, decodes
// them into memory now (else returns it lazy, as open_image does).
Result<InputImage> open_and_decode(const std::filesystem::path& path, const ImageLimits& limits,
                                   int64_t max_decoded_bytes);

}  // namespace resr
