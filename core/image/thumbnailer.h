#pragma once
// Previews for the UI: a 24 MP JPEG becomes a small QImage quickly because libjpeg
// decodes it at reduced size (DCT scaling, the same thing QImageReader::setScaledSize
// asks the JPEG plugin for) instead of decoding 24 MP and throwing most of it away.
// JPEG, PNG and WebP go through the pipeline's bounded, row-streaming decoder, which
// also refuses truncated files that Qt's JPEG plugin would pad with grey; GIF goes
// through QImageReader with its allocation limit set deliberately. EXIF orientation is
// applied, the result fits `bound` and is never enlarged.

#include "common/result.h"

#include <QByteArray>
#include <QFuture>
#include <QImage>
#include <QSize>
#include <QString>

class QThreadPool;

namespace deso::image {

// Memory a thumbnail decode may take; QImageReader's allocation limit is set to it.
inline constexpr int kThumbnailAllocationLimitMB = 160;

// Errors as ImagePipeline's (image.bad_magic, image.truncated, ...), plus
// image.unreadable when the file cannot be opened.
Result<QImage> makeThumbnail(const QString &path, QSize bound);
Result<QImage> makeThumbnail(const QByteArray &fileBytes, QSize bound);

// Runs on `pool` (QThreadPool::globalInstance() when null).
QFuture<Result<QImage>> makeThumbnailAsync(const QString &path, QSize bound, QThreadPool *pool = nullptr);

// The largest size with the source's aspect ratio that fits `bound` (never larger than
// the source, never smaller than 1×1).
QSize fitWithin(QSize source, QSize bound);

} // namespace deso::image
