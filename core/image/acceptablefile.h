#pragma once
// The client's "make it acceptable" mode: turn any supported photo into a file the node
// accepts (≤ 10,000,000 bytes, longer side ≤ 4000 px) while keeping as much quality
// as possible. A file that already fits is left untouched (re-encoding would only lose
// quality, and the node re-encodes anyway); otherwise it is decoded with bounded memory,
// EXIF-oriented, scaled by the node's own rule and re-encoded at the highest quality
// that fits. Every result says, in one sentence, what was done and why.

#include "common/result.h"
#include "image/imageformat.h"

#include <QByteArray>
#include <QFuture>
#include <QSize>
#include <QString>

class QThreadPool;

namespace deso::image {

struct AcceptableOptions {
    qint64 maxBytes = kMaxUploadBytes;
    int maxLongSide = 4000;
    int bestQuality = 95;   // first JPEG/WebP quality tried
    int worstQuality = 50;  // give up below this
    // Inputs may exceed the node's 16,383 px guard: they are shrunk on load. This is
    // the client's own sanity bound.
    int maxInputDimension = 65500;
};

struct AcceptableFile {
    QByteArray bytes;      // exactly what to upload
    Format format = Format::Jpeg;
    QString mimeType;      // the Content-Type to send with the part
    QString fileName;      // original base name with the right extension
    QSize size;            // displayed pixel size of `bytes`
    QSize originalSize;    // displayed pixel size of the input
    qint64 originalBytes = 0;
    bool unchanged = false;  // `bytes` is the input file itself
    int quality = 0;         // encoder quality used (0 when unchanged or lossless)
    QString description;     // e.g. "Scaled from 6000×4000 to 4000×2666 and re-encoded as JPEG (quality 95): 3.1 MB."
};

Result<AcceptableFile> makeAcceptable(const QString &path, const AcceptableOptions &options = {});
Result<AcceptableFile> makeAcceptable(const QByteArray &fileBytes, const QString &fileName,
                                      const AcceptableOptions &options = {});
QFuture<Result<AcceptableFile>> makeAcceptableAsync(const QString &path, const AcceptableOptions &options = {},
                                                    QThreadPool *pool = nullptr);

} // namespace deso::image
