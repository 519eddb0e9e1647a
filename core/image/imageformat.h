#pragma once
// Image formats the node accepts, identified by their magic bytes (never by a file
// name or a declared Content-Type), and their dimensions read from the header alone,
// before any pixel is decoded, so that a pixel flood is refused for the price of a
// few hundred bytes.

#include "common/result.h"

#include <QByteArray>
#include <QSize>
#include <QString>

#include <optional>

class QIODevice;

namespace deso::image {

enum class Format { Jpeg, Png, Webp, Gif };

// The node's pixel-flood guard: wider or taller than this is refused from the header.
inline constexpr int kMaxDimension = 16383;
// The node's limit for an uploaded file (multipart form limit and "File too large.").
inline constexpr qint64 kMaxUploadBytes = 10'000'000;

// Needs the first 12 bytes (fewer give nullopt unless they already decide).
std::optional<Format> sniffFormat(const QByteArray &head);

// 10000000 → "10,000,000" whatever the user's locale: the digits the node's docs use.
QString groupDigits(qint64 n);

// "image/jpeg", "image/png", "image/webp", "image/gif".
QString mimeType(Format format);
// Lower-case short name: "jpeg", "png", "webp", "gif".
QString formatName(Format format);
// Accepts exactly the four MIME types the node accepts (case-insensitive, parameters
// such as "; charset=..." ignored); anything else is nullopt.
std::optional<Format> formatFromMimeType(const QString &contentType);

struct ImageHeader {
    Format format = Format::Jpeg;
    QSize size;             // as stored, before EXIF orientation
    bool hasAlpha = false;  // PNG colour type with alpha or tRNS; WebP alpha flag
    bool animated = false;  // WebP ANIM flag (GIF: not known from the header)
    bool interlaced = false;  // PNG Adam7 / progressive JPEG
};

// Parses only the header: JPEG markers up to the first SOFn (skipping APPn segments
// by their length), PNG IHDR, WebP VP8/VP8L/VP8X, GIF logical screen.
// Errors (httpStatus 400): image.empty, image.bad_magic, image.truncated,
// image.bad_header. Dimensions are NOT checked against kMaxDimension here; use
// checkDimensions() for that, so a caller can still report what the file claims.
Result<ImageHeader> readHeader(const QByteArray &bytes);
// Reads from the device's current position; seeks over JPEG segments when the device
// is random access, otherwise reads through them (at most a few hundred KB).
Result<ImageHeader> readHeader(QIODevice *device);

// image.too_large_dimensions when either side exceeds kMaxDimension (or is zero).
Status checkDimensions(const ImageHeader &header);

} // namespace deso::image
