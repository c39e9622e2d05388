#include "video/frame_conversion.hpp"

extern "C" {
#include <libavutil/pixdesc.h>
}

namespace resr {

namespace {

bool full_range(AVPixelFormat format, AVColorRange range) {
  switch (format) {
    case AV_PIX_FMT_YUVJ420P:
    case AV_PIX_FMT_YUVJ422P:
    case AV_PIX_FMT_YUVJ444P:
    case AV_PIX_FMT_YUVJ440P:
    case AV_PIX_FMT_YUVJ411P:
      return true;
    default:
      return range == AVCOL_RANGE_JPEG;
  }
}

bool is_rgb(AVPixelFormat format) {
  const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(format);
  return desc != nullptr && (desc->flags & AV_PIX_FMT_FLAG_RGB);
}

// swscale's colorspace tables are indexed like AVColorSpace; unspecified
// falls back to its default (BT.601), the same way in both directions.
const int* coefficients(AVColorSpace space) { return sws_getCoefficients(space); }

// Tells swscale the YUV side's matrix and range; the RGB side is full range.
void set_colour(SwsContext* sws, AVPixelFormat yuv_format, AVColorSpace space, AVColorRange range,
                bool yuv_is_source) {
  const int* table = coefficients(space);
  const int yuv_full = is_rgb(yuv_format) || full_range(yuv_format, range) ? 1 : 0;
  if (yuv_is_source) {
    sws_setColorspaceDetails(sws, table, yuv_full, table, 1, 0, 1 << 16, 1 << 16);
  } else {
    sws_setColorspaceDetails(sws, table, 1, table, yuv_full, 0, 1 << 16, 1 << 16);
  }
}

}  // namespace

Result<FloatRgbFrame> FrameToFloatRgb::convert(const AVFrame& frame) {
  const auto format = static_cast<AVPixelFormat>(frame.format);
  const int w = frame.width;
  const int h = frame.height;
  // Accurate rounding and full chroma interpolation: the model sees the
  // decoded picture as exactly as 16 bits can hold it.
  sws_.reset(sws_getCachedContext(sws_.release(), w, h, format, w, h, AV_PIX_FMT_GBRP16,
                                  SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, nullptr,
                                  nullptr, nullptr));
  if (!sws_) {
    return error(ErrorCode::kUnsupported,
                 std::string("cannot convert video frames in pixel format ") +
                     av_get_pix_fmt_name(format) + " to RGB");
  }
  set_colour(sws_.get(), format, frame.colorspace, frame.color_range, true);
  if (planar_->width != w || planar_->height != h) {
    av_frame_unref(planar_.get());
    planar_->format = AV_PIX_FMT_GBRP16;
    planar_->width = w;
    planar_->height = h;
    const int rc = av_frame_get_buffer(planar_.get(), 0);
    if (rc < 0)
      return error(ErrorCode::kResourceExhausted,
                   "no memory for a video frame: " + av_error_text(rc));
  }
  sws_scale(sws_.get(), frame.data, frame.linesize, 0, h, planar_->data, planar_->linesize);

  FloatRgbFrame out;
  out.width = w;
  out.height = h;
  out.samples.resize(static_cast<size_t>(w) * h * 3);
  constexpr float kScale = 1.0f / 65535.0f;
  // GBRP16 planes are G, B, R.
  const int plane_of_channel[3] = {2, 0, 1};
  for (int y = 0; y < h; ++y) {
    for (int c = 0; c < 3; ++c) {
      const int plane = plane_of_channel[c];
      const auto* src =
          reinterpret_cast<const uint16_t*>(planar_->data[plane] + y * planar_->linesize[plane]);
      float* dst = out.samples.data() + (static_cast<size_t>(y) * 3 + c) * w;
      for (int x = 0; x < w; ++x) dst[x] = src[x] * kScale;
    }
  }
  return out;
}

Result<FramePtr> Rgb48ToEncoderFrame::convert(const Rgb48Frame& rgb) {
  sws_.reset(sws_getCachedContext(sws_.release(), rgb.width, rgb.height, AV_PIX_FMT_RGB48,
                                  format_.width, format_.height, format_.pix_fmt,
                                  SWS_LANCZOS | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INP, nullptr,
                                  nullptr, nullptr));
  if (!sws_) {
    return error(ErrorCode::kUnsupported,
                 std::string("cannot convert RGB to the encoder's pixel format ") +
                     av_get_pix_fmt_name(format_.pix_fmt));
  }
  set_colour(sws_.get(), format_.pix_fmt, format_.colorspace, format_.color_range, false);
  FramePtr frame = make_frame();
  frame->format = format_.pix_fmt;
  frame->width = format_.width;
  frame->height = format_.height;
  frame->color_range = format_.color_range;
  frame->color_primaries = format_.color_primaries;
  frame->color_trc = format_.color_trc;
  frame->colorspace = format_.colorspace;
  frame->chroma_location = format_.chroma_location;
  const int rc = av_frame_get_buffer(frame.get(), 0);
  if (rc < 0)
    return error(ErrorCode::kResourceExhausted,
                 "no memory for a video frame: " + av_error_text(rc));
  const uint8_t* src[1] = {rgb.bytes.data()};
  const int src_stride[1] = {rgb.width * 6};
  sws_scale(sws_.get(), src, src_stride, 0, rgb.height, frame->data, frame->linesize);
  return frame;
}

}  // namespace resr
