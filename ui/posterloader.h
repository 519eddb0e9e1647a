#pragma once
// Fetches the posters a server shows for processed videos (a host's /thumbnails/<id>.jpg,
// an asset's thumbnailURL) for the queue's rows: the download runs in QNetworkAccessManager,
// the decode on a small thread pool, so the window never waits on either. Posters are
// kept in a cache bounded by pixels, and a download larger than kMaxPosterBytes is cut
// off with an error, so a misbehaving server cannot fill memory.

#include <QCache>
#include <QImage>
#include <QObject>
#include <QThreadPool>
#include <QUrl>

class QNetworkAccessManager;

class PosterLoader : public QObject {
    Q_OBJECT
public:
    static constexpr qint64 kMaxPosterBytes = 8 * 1024 * 1024;
    // The cache holds at most this many pixels (16 MiB of 32-bit pixels; a 128×72 row poster is ~9 k).
    static constexpr int kCachePixels = 4 * 1024 * 1024;

    explicit PosterLoader(QObject *parent = nullptr);
    ~PosterLoader() override;

    // Fetches `url` (or takes it from the cache) scaled so its longer side is at most
    // `maxSide`, and answers with ready() or failed() for `id`, on the UI thread.
    void request(const QString &id, const QUrl &url, int maxSide);
    int cachedCount() const { return m_cache.count(); }
    int downloads() const { return m_downloads; }  // network fetches started (cache misses)

signals:
    void ready(const QString &id, const QUrl &url, const QImage &poster);
    void failed(const QString &id, const QUrl &url, const QString &reason);

private:
    QNetworkAccessManager *m_nam;
    QThreadPool m_pool;  // decodes; own pool so posters never hold up uploads
    QCache<QString, QImage> m_cache;  // key: url + side; cost: pixels
    int m_downloads = 0;
};
