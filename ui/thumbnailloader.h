#pragma once
// Decodes small previews of image files off the UI thread (core/image's makeThumbnail),
// so a 50-megapixel photo never freezes the window. Results come back as signals on the
// UI thread.

#include <QImage>
#include <QObject>
#include <QSize>
#include <QThreadPool>

class ThumbnailLoader : public QObject {
    Q_OBJECT
public:
    explicit ThumbnailLoader(QObject *parent = nullptr);
    ~ThumbnailLoader() override;

    // Decodes `path` scaled so its longer side is at most `maxSide` (JPEG decodes at the
    // reduced size directly); `tag` is echoed back so callers can tell requests apart.
    void request(const QString &id, const QString &path, int maxSide, int tag = 0);

    // Synchronous form of the same work, for the worker threads (and tests).
    struct Loaded {
        QImage image;
        QSize original;
        QString format;
        QString error;
    };
    static Loaded load(const QString &path, int maxSide);

signals:
    void ready(const QString &id, int tag, const QImage &image, const QSize &original, const QString &format);
    void failed(const QString &id, int tag, const QString &reason);

private:
    QThreadPool m_pool;  // own pool: thumbnails must not starve uploads or processing
};
