#include "video/video_encoder.hpp"

extern "C" {
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
}

namespace resr {

namespace {

Result<const AVCodec*> find_video_encoder(const std::string& name) {
  const AVCodec* codec = avcodec_find_encoder_by_name(name.c_str());
  if (codec == nullptr || codec->type != AVMEDIA_TYPE_VIDEO) {
    return error(ErrorCode::kInvalidArgument,
                 "--codec " + name +
                     ": not a video encoder of this build's libavcodec; try libx264, libx265 "
                     "or libvpx-vp9 (`ffmpeg -encoders` lists them)");
  }
  return codec;
}

}  // namespace

Result<AVPixelFormat> choose_encoder_pix_fmt(const EncoderSettings& settings,
                                             AVPixelFormat source) {
  RESR_ASSIGN_OR_RETURN(const AVCodec* codec, find_video_encoder(settings.codec));
  const AVPixelFormat* supported = codec->pix_fmts;
  if (!settings.pix_fmt.empty()) {
    const AVPixelFormat wanted = av_get_pix_fmt(settings.pix_fmt.c_str());
    if (wanted == AV_PIX_FMT_NONE) {
      return error(ErrorCode::kInvalidArgument,
                   "--pix-fmt " + settings.pix_fmt +
                       ": unknown pixel format (`ffmpeg -pix_fmts` lists them)");
    }
    if (supported == nullptr) return wanted;
    std::string names;
    for (const AVPixelFormat* p = supported; *p != AV_PIX_FMT_NONE; ++p) {
      if (*p == wanted) return wanted;
      names += std::string(names.empty() ? "" : ", ") + av_get_pix_fmt_name(*p);
    }
    return error(ErrorCode::kInvalidArgument,
                 "--pix-fmt " + settings.pix_fmt + ": " + settings.codec + " takes " + names);
  }
  if (supported == nullptr) return source;
  return avcodec_find_best_pix_fmt_of_list(supported, source, 0, nullptr);
}

void fit_to_chroma_grid(AVPixelFormat pix_fmt, int& width, int& height) {
  const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(pix_fmt);
  if (desc == nullptr) return;
  const int w_step = 1 << desc->log2_chroma_w;
  const int h_step = 1 << desc->log2_chroma_h;
  width = std::max(w_step, width / w_step * w_step);
  height = std::max(h_step, height / h_step * h_step);
}

Result<CodecContextPtr> open_video_encoder(const EncoderSettings& settings,
                                           const EncoderStreamSpec& spec) {
  RESR_ASSIGN_OR_RETURN(const AVCodec* codec, find_video_encoder(settings.codec));
  CodecContextPtr ctx(avcodec_alloc_context3(codec));
  if (!ctx) return error(ErrorCode::kResourceExhausted, "no memory for the video encoder");
  const EncoderFrameFormat& f = spec.frame;
  ctx->width = f.width;
  ctx->height = f.height;
  ctx->pix_fmt = f.pix_fmt;
  ctx->time_base = spec.time_base;
  ctx->framerate = spec.frame_rate;
  ctx->sample_aspect_ratio = spec.sample_aspect_ratio;
  ctx->color_range = f.color_range;
  ctx->color_primaries = f.color_primaries;
  ctx->color_trc = f.color_trc;
  ctx->colorspace = f.colorspace;
  ctx->chroma_sample_location = f.chroma_location;
  ctx->thread_count = settings.threads;
  ctx->bit_rate = 0;  // quality-driven (crf), not a bitrate target
  ctx->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  if (settings.crf >= 0) {
    const int rc = av_opt_set_int(ctx->priv_data, "crf", settings.crf, 0);
    if (rc < 0) {
      return error(ErrorCode::kInvalidArgument, "--crf " + std::to_string(settings.crf) + ": " +
                                                    settings.codec + " refuses it (" +
                                                    av_error_text(rc) + ")");
    }
  }
  if (!settings.preset.empty()) {
    const int rc = av_opt_set(ctx->priv_data, "preset", settings.preset.c_str(), 0);
    if (rc < 0) {
      return error(ErrorCode::kInvalidArgument, "--preset " + settings.preset + ": " +
                                                    settings.codec + " refuses it (" +
                                                    av_error_text(rc) + ")");
    }
  }
  const int rc = avcodec_open2(ctx.get(), codec, nullptr);
  if (rc < 0) {
    return error(ErrorCode::kInvalidArgument,
                 "cannot open the " + settings.codec + " encoder for " + std::to_string(f.width) +
                     "x" + std::to_string(f.height) + " " + av_get_pix_fmt_name(f.pix_fmt) + ": " +
                     av_error_text(rc) + "; try other --codec/--pix-fmt/--crf values");
  }
  return ctx;
}

}  // namespace resr
