// libvips, started once per process with this project's safety policy:
//  - only the loaders for PNG, JPEG, WebP, TIFF, GIF and HEIF/AVIF can run; every
//    other loader (PDF, SVG, ImageMagick, FITS, OpenEXR, raw, matrix, vips...) is
//    blocked inside libvips itself, whatever a file's name or content claims;
//  - no operation cache: nothing decoded outlives its request (a long-running
//    server must not accumulate images or open files);
//  - libvips warnings are not printed: what matters comes back as a Status.
#pragma once

#include <string>

#include "resr/status.hpp"

namespace resr {

// Idempotent and thread-safe; every pipeline entry point calls it.
Status ensure_vips();

// The libvips error text accumulated so far, cleared. The buffer is process-wide,
// so with concurrent failures a message may carry another one's text too.
std::string take_vips_error();

}  // namespace resr
