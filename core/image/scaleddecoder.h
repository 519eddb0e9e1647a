#pragma once
// Decodes JPEG, PNG and WebP straight to a requested (smaller or equal) size, row by
// row, with bounded memory:
//  - JPEG: libjpeg DCT scaling (M/8) to the smallest size not below 1.25× the target,
//    then the streaming resampler for the remainder (shrink-on-load);
//  - PNG: libpng row by row into the streaming resampler (no full-size bitmap);
//  - WebP: libwebp's built-in scaler; animated WebPs: the first frame on its canvas
//    (webpcanvas.h).
// Decodes whose working set would exceed kDecodeMemoryBound (progressive JPEG
// coefficient buffers, interlaced PNG, lossless or alpha WebP planes) are refused with
// image.memory_bound before anything large is allocated. Internal to core/image.

#include "image/imageformat.h"
#include "image/rowresampler.h"

#include <QByteArray>
#include <QImage>
#include <QSize>

namespace deso::image {

inline constexpr qint64 kDecodeMemoryBound = 160ll * 1024 * 1024;

// `outSize` is in stored orientation and must not exceed header.size. Delivers rows of
// exactly outSize to `sink` (3 channels, or 4 when the image has alpha) and calls
// sink.finish(). Errors: image.truncated, image.corrupt, image.memory_bound,
// image.unsupported (all 400).
// twoThreads: decode on this thread while a second one resamples and feeds `sink`.
Status decodeScaled(const QByteArray &bytes, const ImageHeader &header, QSize outSize, RowSink &sink,
                    ResampleKernel kernel = ResampleKernel::Lanczos3, bool twoThreads = false);

// The decoders' errors (400), shared with webpcanvas.cpp.
Error truncatedError();
Error corruptError(const QString &format, const QString &detail);
Error memoryBoundError(const ImageHeader &h, const QString &why, qint64 bytes);

// Collects rows into a QImage (Format_RGB888 or Format_RGBA8888).
class ImageRowSink final : public RowSink {
public:
    Status begin(QSize size, int channels) override;
    void row(int y, const uchar *pixels) override;
    QImage takeImage() { return std::move(m_image); }

private:
    QImage m_image;
};

// decodeScaled() into a QImage, without applying EXIF orientation.
Result<QImage> decodeToImage(const QByteArray &bytes, const ImageHeader &header, QSize outSize,
                             ResampleKernel kernel = ResampleKernel::Lanczos3);

} // namespace deso::image
