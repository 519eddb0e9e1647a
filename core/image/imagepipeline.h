#pragma once
// What POST /api/v0/upload-image does to a file, as a library:
//   magic bytes → header dimensions (16,383 px guard, before any decode) →
//   JPEG/PNG/WebP: decode (shrink-on-load), EXIF orientation, longer side ≥ 4000 →
//   exactly 4000 and the other floor(other × 4000 / longer), WebP encode with nothing
//   but pixels (all metadata gone), named sha256hex(webp) + ".webp";
//   GIF: validated (every frame decodes), stored byte for byte, named
//   sha256hex(base64(file)) + ".gif".
// Errors are values with httpStatus 400 (the file's fault) or 500 (ours) and a message
// a host can send as {"error": message}.

#include "common/result.h"
#include "image/imageformat.h"

#include <QByteArray>
#include <QFuture>
#include <QSize>
#include <QString>

class QThreadPool;

namespace deso::image {

struct PipelineOptions {
    // 75 is what the node uses: it calls libvips through bimg, whose default quality
    // for every format (WebP included) is 75; see README "Image pipeline".
    int webpQuality = 75;
    // libwebp method 0..6. 2 is ~2.4× faster than the default 4 at a few % more bytes;
    // see README "Image pipeline" for the measurements.
    int webpMethod = 2;
    // Two cores: the decoder runs on one thread while another resamples and converts
    // to YUV; libwebp gets thread_level 1.
    bool multiThreaded = true;
    int maxLongSide = 4000;         // the node's rule; 0 = never scale
    qint64 maxFileBytes = kMaxUploadBytes;  // 0 = no limit (e.g. local files)
    bool applyExifOrientation = true;
};

struct ProcessedImage {
    QByteArray bytes;      // WebP, or the GIF unchanged
    QString name;          // sha256hex + ".webp" | ".gif"
    QString mimeType;      // "image/webp" | "image/gif"
    Format sourceFormat = Format::Jpeg;
    QSize sourceSize;      // as stored in the file, before orientation
    QSize outputSize;      // as encoded, after orientation and scaling
    int exifOrientation = 1;
    bool passedThrough = false;  // GIF stored unchanged
};

class ImagePipeline {
public:
    // declaredContentType: the multipart part's Content-Type. Empty = not checked;
    // otherwise it must be one of the four accepted types (image.unsupported_type) and
    // agree with the magic bytes (image.type_mismatch).
    // Error codes (400 unless noted): image.empty, image.file_too_large,
    // image.unsupported_type, image.bad_magic, image.type_mismatch, image.bad_header,
    // image.too_large_dimensions, image.truncated, image.corrupt, image.memory_bound (a
    // decode needing more than the whole DecodeMemoryBudget), image.unsupported;
    // image.encode_failed / image.out_of_memory / image.no_space / image.temp_file (500).
    // Large decodes that cannot stream may wait here for the decode budget: call it off
    // the server's thread (processAsync, or a worker pool as the host does).
    static Result<ProcessedImage> process(const QByteArray &fileBytes, const QString &declaredContentType = {},
                                          const PipelineOptions &options = {});

    // Runs process() on `pool` (QThreadPool::globalInstance() when null).
    static QFuture<Result<ProcessedImage>> processAsync(const QByteArray &fileBytes,
                                                        const QString &declaredContentType = {},
                                                        const PipelineOptions &options = {},
                                                        QThreadPool *pool = nullptr);

    // The node's scaling rule: when the longer side is ≥ maxLongSide it becomes exactly
    // maxLongSide and the other side floor(other × maxLongSide / longer); otherwise the
    // size is unchanged. Width wins only when strictly longer (squares scale by height,
    // which gives the same result). A side that would floor to 0 becomes 1.
    static QSize targetSize(QSize source, int maxLongSide = 4000);

    // Content addresses, exactly as the node names stored files.
    static QString webpContentName(const QByteArray &webpBytes);  // sha256hex(bytes) + ".webp"
    static QString gifContentName(const QByteArray &gifBytes);    // sha256hex(base64(bytes)) + ".gif"
    static QString contentName(const QByteArray &storedBytes, Format storedFormat);

    // Checks that a GIF is structurally complete and every frame decodes.
    static Status validateGif(const QByteArray &gifBytes, const ImageHeader &header);
};

} // namespace deso::image
