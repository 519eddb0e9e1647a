#pragma once
// Decodes JPEG, PNG and WebP straight to a requested (smaller or equal) size, row by
// row, with bounded memory:
//  - JPEG: libjpeg DCT scaling (M/8) to the smallest size not below 1.25× the target,
//    then the streaming resampler for the remainder (shrink-on-load);
//  - PNG: libpng row by row into the streaming resampler (no full-size bitmap);
//  - WebP: libwebp's built-in scaler; animated WebPs: the first frame on its canvas
//    (webpcanvas.h).
// Large progressive JPEGs and interlaced PNGs page to a scratch file (scratchfile.h,
// jpegpagedcoefficients.h) so they stream like the others; what cannot stream (lossless
// or alpha WebP planes, animated-WebP frames) is admitted under the process-wide
// DecodeMemoryBudget before anything large is allocated. Internal to core/image.

#include "image/decodememorybudget.h"
#include "image/imageformat.h"
#include "image/rowresampler.h"

#include <QByteArray>
#include <QImage>
#include <QSize>

namespace deso::image {

// `outSize` is in stored orientation and must not exceed header.size. Delivers rows of
// exactly outSize to `sink` (3 channels, or 4 when the image has alpha) and calls
// sink.finish(). Errors: image.truncated, image.corrupt, image.memory_bound (more than
// the whole decode budget), image.unsupported (all 400); image.no_space, image.temp_file
// (500) when a scratch file cannot be written.
// twoThreads: decode on this thread while a second one resamples and feeds `sink`.
Status decodeScaled(const QByteArray &bytes, const ImageHeader &header, QSize outSize, RowSink &sink,
                    ResampleKernel kernel = ResampleKernel::Lanczos3, bool twoThreads = false);

// The decoders' errors (400), shared with webpcanvas.cpp.
Error truncatedError();
Error corruptError(const QString &format, const QString &detail);

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
