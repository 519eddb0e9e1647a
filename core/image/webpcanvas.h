#pragma once
// The first frame of an animated WebP (VP8X animation flag: ANMF frames with offsets,
// blending and disposal), composited onto the whole canvas the way the node's libvips
// (8.14 webpload, page 0) does it, so the still image stored is the one the node
// stores:
//  - the canvas starts fully transparent (0,0,0,0); the ANIM background colour is
//    only a hint and is ignored, as libvips and libwebp's WebPAnimDecoder do;
//  - the first frame is copied onto it, pixels and alpha as decoded, whatever its
//    blend flag says (libvips blends only from frame 2 on; WebPAnimDecoder too treats
//    the first frame as a key frame drawn on a cleared canvas);
//  - the result has alpha when the file's alpha flag is set or any frame has alpha
//    or does not cover the canvas; otherwise it is RGB;
//  - when every frame covers the canvas, libwebp's scaler decodes straight to the
//    target size (libvips' shrink-on-load); otherwise the canvas is composited at
//    full size and scaled by the streaming resampler.
// Memory: the canvas is never held whole. Rows are built one at a time around the
// decoded first frame, which is the only buffer (admitted under the process-wide
// DecodeMemoryBudget when it is large; image.memory_bound only when it needs more than
// the whole budget). The caller has already applied the 16,383 px guard to
// the canvas size (header.size is the VP8X canvas). Internal to core/image.

#include "image/imageformat.h"
#include "image/rowresampler.h"

#include <QByteArray>
#include <QSize>

namespace deso::image {

// Same contract as decodeScaled() for a WebP whose header says `animated`: delivers
// rows of exactly outSize (≤ header.size) to `sink`, 3 or 4 channels, then finish().
// Errors (400): image.truncated, image.corrupt, image.memory_bound.
Status decodeWebpCanvas(const QByteArray &bytes, const ImageHeader &header, QSize outSize, RowSink &sink,
                        ResampleKernel kernel = ResampleKernel::Lanczos3);

} // namespace deso::image
