#include "image/image_prefetcher.hpp"

#include "image/vips_runtime.hpp"

namespace resr {

Result<InputImage> open_and_decode(const std::filesystem::path& path, const ImageLimits& limits,
                                   int64_t max_decoded_bytes) {
  RESR_ASSIGN_OR_RETURN(InputImage image, open_image(path, limits));
  VipsImage* lazy = image.pixels();
  const int64_t bytes = static_cast<int64_t>(lazy->Xsize) * lazy->Ysize * lazy->Bands *
                        static_cast<int64_t>(vips_format_sizeof(lazy->BandFmt));
  if (bytes > max_decoded_bytes) return image;
  VipsImagePtr decoded(vips_image_copy_memory(lazy));
  if (!decoded) {
    return error(ErrorCode::kInvalidImage,
                 image.info().source + ": cannot decode: " + take_vips_error());
  }
  return InputImage(image.info(), std::move(decoded));
}

ImagePrefetcher::~ImagePrefetcher() {
  if (pending_.valid()) pending_.wait();
}

void ImagePrefetcher::start(const std::filesystem::path& path) {
  if (pending_.valid()) pending_.wait();
  pending_path_ = path;
  pending_ = std::async(std::launch::async, [path, limits = limits_, max = max_decoded_bytes_] {
    return open_and_decode(path, limits, max);
  });
}

Result<InputImage> ImagePrefetcher::take(const std::filesystem::path& path) {
  if (pending_.valid() && pending_path_ == path) {
    pending_path_.reset();
    return pending_.get();
  }
  return open_and_decode(path, limits_, max_decoded_bytes_);
}

}  // namespace resr
