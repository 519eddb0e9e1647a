// Image sniffing and header parsing from the first bytes of an upload: the magic
// bytes, the dimensions (the 16,383 px pixel-flood guard runs on them before any
// decode), the declared part Content-Type, and the EXIF orientation walk over
// JPEG segments, PNG chunks and RIFF chunks.
// Properties: the byte-array reader, a random-access device and a sequential
// device (bytes trickling in) agree; the sniffed format matches the parsed one;
// the orientation is always 1..8.
#include "fuzzcheck.h"
#include "image/exiforientation.h"
#include "image/imageformat.h"

#include <QBuffer>

#include <cstdint>

using namespace deso::image;

namespace {

// A pipe-like device: sequential, hands out at most a few bytes per read.
class TrickleDevice : public QIODevice {
public:
    explicit TrickleDevice(const QByteArray &bytes) : m_bytes(bytes) { open(QIODevice::ReadOnly); }
    bool isSequential() const override { return true; }
    qint64 bytesAvailable() const override { return m_bytes.size() - m_pos + QIODevice::bytesAvailable(); }

protected:
    qint64 readData(char *data, qint64 maxSize) override
    {
        const qint64 n = qMin<qint64>(qMin<qint64>(maxSize, 7), m_bytes.size() - m_pos);
        if (n <= 0)
            return -1; // end of stream
        memcpy(data, m_bytes.constData() + m_pos, size_t(n));
        m_pos += n;
        return n;
    }
    qint64 writeData(const char *, qint64) override { return -1; }

private:
    QByteArray m_bytes;
    qint64 m_pos = 0;
};

bool sameOutcome(const deso::Result<ImageHeader> &a, const deso::Result<ImageHeader> &b)
{
    if (a.ok() != b.ok())
        return false;
    if (!a.ok())
        return a.error().code == b.error().code;
    return a->format == b->format && a->size == b->size && a->hasAlpha == b->hasAlpha
        && a->animated == b->animated && a->interlaced == b->interlaced;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));

    const auto sniffed = sniffFormat(bytes.left(12));
    const auto fromBytes = readHeader(bytes);
    if (fromBytes.ok()) {
        FUZZ_CHECK(sniffed.has_value() && *sniffed == fromBytes->format);
        const deso::Status dims = checkDimensions(*fromBytes);
        if (dims.ok())
            FUZZ_CHECK(fromBytes->size.width() >= 1 && fromBytes->size.width() <= kMaxDimension
                       && fromBytes->size.height() >= 1 && fromBytes->size.height() <= kMaxDimension);
        const int orientation = exifOrientation(bytes, fromBytes->format);
        FUZZ_CHECK(orientation >= 1 && orientation <= 8);
    } else {
        FUZZ_CHECK(fromBytes.error().httpStatus == 400);
    }

    QBuffer buffer;
    buffer.setData(bytes);
    buffer.open(QIODevice::ReadOnly);
    FUZZ_CHECK(sameOutcome(fromBytes, readHeader(&buffer)));

    TrickleDevice trickle(bytes);
    FUZZ_CHECK(sameOutcome(fromBytes, readHeader(&trickle)));

    // EXIF walkers on any container, whatever the magic bytes say.
    for (Format f : {Format::Jpeg, Format::Png, Format::Webp, Format::Gif}) {
        const int o = exifOrientation(bytes, f);
        FUZZ_CHECK(o >= 1 && o <= 8);
    }
    const int tiff = orientationFromTiff(reinterpret_cast<const uchar *>(data), qsizetype(size));
    FUZZ_CHECK(tiff >= 1 && tiff <= 8);

    // The multipart part's declared Content-Type.
    const qsizetype eol = bytes.indexOf('\n');
    const auto declared = formatFromMimeType(QString::fromLatin1(eol < 0 ? bytes : bytes.left(eol)));
    if (declared)
        FUZZ_CHECK(mimeType(*declared).startsWith(QLatin1String("image/")));
    return 0;
}
