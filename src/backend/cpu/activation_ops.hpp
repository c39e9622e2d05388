// The graph's non-conv operators on ActivationViews, in any mix of layouts and
// element types. They move little data next to the convs, so they are plain
// OpenMP loops with fast paths only for the cases real models hit (blocked
// upsampling, same-layout adds). Every op writes zeros into the channel
// padding of a blocked output, which the convs after it read.
#pragma once

#include "backend/cpu/activation_view.hpp"

namespace resr::cpu {

// dst channels [dst_offset, dst_offset + src.channels) = src.
void copy_channels(const ActivationView& src, const ActivationView& dst, int dst_offset);
// out = alpha * a + beta * b.
void add(const ActivationView& a, const ActivationView& b, float alpha, float beta,
         const ActivationView& out);
void upsample_nearest(const ActivationView& in, int factor, const ActivationView& out);
void pixel_shuffle(const ActivationView& in, int factor, const ActivationView& out);
void pixel_unshuffle(const ActivationView& in, int factor, const ActivationView& out);
// Zeros the channels of the last block past `channels` (blocked views only).
void zero_channel_padding(const ActivationView& view);

}  // namespace resr::cpu
