#pragma once
// EXIF orientation (tag 0x0112) found in JPEG APP1, PNG eXIf and WebP EXIF chunks, and
// applied to decoded pixels. Only the orientation is read: everything else in the
// metadata is dropped by the pipeline.

#include "image/imageformat.h"

#include <QByteArray>
#include <QImage>

namespace deso::image {

// 1..8 from a TIFF-structured EXIF payload (starting at "II*\0" / "MM\0*"); 1 when
// absent or malformed. Never reads outside [data, data + size).
int orientationFromTiff(const uchar *data, qsizetype size);

// 1..8 from a whole file; 1 when the file has no (valid) orientation. Walks only the
// container structure (JPEG segments, PNG chunks, RIFF chunks); cheap.
int exifOrientation(const QByteArray &file, Format format);

// True when the orientation swaps width and height (5..8).
inline bool orientationSwapsAxes(int orientation) { return orientation >= 5 && orientation <= 8; }

// Returns the image as it should be displayed.
QImage applyOrientation(QImage image, int orientation);

} // namespace deso::image
