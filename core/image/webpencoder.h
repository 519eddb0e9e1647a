#pragma once
// Lossy WebP through libwebp's advanced API (WebPConfig/WebPPicture), which Qt's WebP
// writer hides: the method (speed/size trade-off) and the thread level are ours to
// choose, and nothing but pixels is written (no EXIF, ICC or XMP chunk). Internal to
// core/image.

#include "image/rowresampler.h"

#include <QByteArray>
#include <QImage>

#include <memory>

struct WebPPicture;

namespace deso::image {

struct WebpEncodeSettings {
    int quality = 75;     // 0..100
    int method = 2;       // 0 (fastest) .. 6 (smallest)
    bool multiThreaded = true;
};

// Rows stream straight into the encoder's YUV planes (converted in small strips), so
// the only full-size buffers are the YUV(A) picture itself and the encoder's output.
// An EXIF orientation (1..8) is applied on the way: rows arrive as stored, each strip is
// converted to YUV in stored orientation and its planes are written mirrored and/or
// transposed into the picture, so a rotated photo needs no second full-size bitmap.
// Strips are laid out so every 2×2 chroma block is the block the displayed image has:
// the planes are identical to converting the already-rotated image.
class WebpRowEncoder final : public RowSink {
public:
    explicit WebpRowEncoder(WebpEncodeSettings settings, int exifOrientation = 1);
    ~WebpRowEncoder() override;

    Status begin(QSize storedSize, int channels) override;  // the picture is storedSize, oriented
    void row(int y, const uchar *pixels) override;
    Status finish() override;  // runs the encoder

    QByteArray takeBytes() { return std::move(m_bytes); }

private:
    void flushStrip();
    void placeStrip(const WebPPicture &strip);

    WebpEncodeSettings m_settings;
    // The orientation as three steps on stored pixels (x, y): mirror x; then the
    // displayed row is y (or H-1-y when flipY); transpose swaps the displayed axes.
    bool m_mirrorX = false, m_flipY = false, m_transpose = false;
    std::unique_ptr<WebPPicture> m_picture;
    QSize m_size;   // stored
    int m_channels = 3;
    std::vector<uchar> m_strip;
    int m_stripRows = 0;
    int m_stripTarget = 0;  // rows that complete the current strip
    int m_stripTop = 0;
    bool m_importFailed = false;
    QByteArray m_bytes;
};

// Encodes a whole QImage (any format; converted to RGB888/RGBA8888 first).
Result<QByteArray> encodeWebp(const QImage &image, const WebpEncodeSettings &settings);

} // namespace deso::image
