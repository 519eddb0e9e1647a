#pragma once
// The queue of files the user dropped, as a list model for the queue view, and the
// driver of their uploads: each row that starts gets one deso::upload::UploadTask, whose
// status (data, not words) lands in the row. The view words it with
// deso::upload::describe() when it paints. The queue can be saved and restored, so
// resumable uploads survive a restart.
// A video over its server's limit (deso::upload::videoLimit) is held with an offer: make
// a smaller copy that fits (core's prepareVideo, off the UI thread, with progress and
// cancel) to preview and then upload or discard, or keep it as it is (refused). The copy
// lives in the cache folder until it is sent, discarded or its row removed; the original
// is never changed.

#include "upload/credentials.h"
#include "upload/uploadfile.h"
#include "upload/uploadstatus.h"

#include <QAbstractListModel>
#include <QFutureWatcher>
#include <QElapsedTimer>
#include <QHash>
#include <QImage>
#include <QJsonArray>
#include <QList>
#include <QSize>
#include <QString>
#include <QUrl>

namespace deso::node {
class NodeClient;
}
namespace deso::upload {
class UploadTask;
}

class MediaQueueModel : public QAbstractListModel {
    Q_OBJECT
public:
    using Kind = deso::upload::MediaKind;
    using State = deso::upload::UploadState;

    struct Item {
        QString id;        // stable key for async results and persistence
        QString path;
        QString name;
        QString mimeType;
        qint64 size = 0;
        Kind kind = Kind::Unsupported;
        deso::upload::UploadStatus status;
        QSize dimensions;  // pixels, once known
        QImage thumbnail;  // small preview, filled in off the UI thread
        QImage poster;     // the server's poster of a processed video, once fetched (shown instead)
        bool resumable = false;    // restored from an earlier run with a tus upload to continue
        // A video over the limit it was judged by (status.videoLimit): a copy that fits is
        // offered, or made unasked by setting.
        bool smallerCopyCanFit = false;
        QString copyPath;  // that copy, once made (facts in status.copy*); what the upload sends

        // What an upload of this row sends: the copy that fits, once made, else the file.
        QString uploadPath() const { return copyPath.isEmpty() ? path : copyPath; }

        // Why it was refused or failed, or what is going on (describe()); empty when nothing is to say.
        QString reason() const;
        // The node's view of an uploaded video, in words; empty before the node has one.
        QString remoteStatus() const;
    };

    enum Role {
        PathRole = Qt::UserRole + 1,
        NameRole,
        MimeTypeRole,
        SizeRole,
        KindRole,
        StateRole,
        ReasonRole,
        IdRole,
        DimensionsRole,
        ThumbnailRole,
        BytesSentRole,
        BytesTotalRole,
        SpeedRole,       // bytes per second, double
        EtaRole,         // seconds left, int; -1 when unknown
        ProgressRole,    // 0..1000; -1 when there is nothing to show
        ResultUrlRole,
        VideoIdRole,
        RemoteStatusRole,
        DetailRole,      // "image/png · 1.2 MB · 800×600"
        ProgressTextRole, // "1.2 MB of 3.4 MB · 800 KB/s · 3 s left"
        PosterRole,      // QImage: the server's poster of a processed video; null until fetched
        PosterUrlRole,   // QUrl: where the server serves that poster (core/upload/medialinks)
        CopyPathRole     // QString: the smaller copy that fits, once made; empty otherwise
    };

    explicit MediaQueueModel(QObject *parent = nullptr);
    ~MediaQueueModel() override;

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    const Item &item(int row) const { return m_items.at(row); }
    int rowOf(const QString &id) const;  // -1 when the id is not in the queue
    const Item *find(const QString &id) const;

    // Adds what the user dropped or chose. Each named file is added at once; an
    // unsupported or unreadable one as Refused with the reason, so nothing the user
    // named disappears silently. Folders are walked off the UI thread
    // (deso::upload::collectMedia: images and videos inside, recursively, capped) and
    // their files added when the walk ends. Returns the rows added now; filesAdded()
    // tells every addition, notice() what was refused or left out.
    int addFiles(const QStringList &paths);
    bool isCollecting() const { return m_collecting > 0; }  // folders still being walked
    void removeRow(int row);
    void clearFinished();  // drops done and refused rows

    // Status updates, addressed by item id; no-ops for ids no longer in the queue.
    void setStatus(const QString &id, const deso::upload::UploadStatus &status);
    void setState(const QString &id, State state);
    // speed: bytes per second measured by the sender; <= 0 = estimate it here.
    void setProgress(const QString &id, qint64 sent, qint64 total, double speed = -1);
    void setVideoUpload(const QString &id, const QString &uploadUrl, const QString &videoId);
    void setThumbnail(const QString &id, const QImage &thumbnail, const QSize &dimensions);
    void setDimensions(const QString &id, const QSize &dimensions);
    void setPoster(const QString &id, const QImage &poster);

    // Uploads. The node every upload goes to; an invalid URL = none chosen.
    void setNodeUrl(const QUrl &baseUrl);
    QUrl nodeUrl() const;
    // Videos started from now on go to this media server (the media-server contract);
    // an empty URL sends them to the node with tus (legacy). Switching between the two
    // judges the rows not acted on yet by the other's video limit.
    void setMediaServerUrl(const QUrl &baseUrl);
    QUrl mediaServerUrl() const;
    // Asked each time an image upload is about to be sent (a test key signs a fresh JWT each time).
    void setCredentialsSource(deso::upload::CredentialsSource source) { m_credentials = std::move(source); }
    // Where tus upload URLs are remembered between runs; empty = its default.
    void setTusStoreFile(const QString &path) { m_tusStoreFile = path; }
    void setTusChunkSize(qint64 bytes) { m_chunkSize = bytes; }
    // The media server's video limit (bytes; <= 0: core's default), for files added and
    // uploads started from now on while videos go to a media server.
    // Rows not acted on yet are judged again by it (as when the media server is set or unset).
    void setMediaServerVideoLimit(qint64 bytes);
    // The limit videos are judged by now: the node's, or the media server's when one is set.
    deso::upload::VideoLimit videoLimit() const;
    // On: a video over the limit is not held with an offer but sent as a copy that fits,
    // made when its upload starts (no preview). Off (default): the offer.
    void setMakeFitCopiesUnasked(bool on) { m_makeFitCopiesUnasked = on; }
    bool makesFitCopiesUnasked() const { return m_makeFitCopiesUnasked; }
    void setMaxConcurrent(int n) { m_maxConcurrent = std::max(1, n); }

    bool canStart(const QString &id) const;
    bool canPause(const QString &id) const;
    bool canResume(const QString &id) const;
    bool canCancel(const QString &id) const;
    bool canRetry(const QString &id) const;
    // Compress-to-fit's offer, for a video over its limit.
    bool canMakeFitCopy(const QString &id) const;  // held with the offer, or kept as is (refused)
    bool canKeepAsIs(const QString &id) const;     // held with the offer
    bool canDiscardCopy(const QString &id) const;  // a copy is made and not being sent
    bool isMakingFitCopy(const QString &id) const;
    int activeCount() const;  // uploads holding a slot (preparing or sending)

    struct Totals {
        int items = 0, done = 0, active = 0, failed = 0, refused = 0;
        qint64 bytesSent = 0, bytesTotal = 0;
        double bytesPerSecond = 0;
    };
    Totals totals() const;
    QString totalsText() const;

    // The queue as JSON (status data, no thumbnails, no sentences) and back. Items that were
    // uploading come back Paused and marked resumable when a tus URL was known, Waiting otherwise.
    QJsonArray toJson() const;
    int restore(const QJsonArray &items);

    static QString humanSize(qint64 bytes);
    static QString humanDuration(qint64 seconds);
    static QString stateName(State state) { return deso::upload::stateKey(state); }
    static bool isActive(State state) { return state == State::Processing || state == State::Uploading; }

public slots:
    void start(const QString &id);
    void startAll();
    void pause(const QString &id);
    void resume(const QString &id);
    void cancel(const QString &id);
    void retry(const QString &id);
    // Makes the copy that fits off the UI thread (progress in the row; cancel() stops it and
    // removes the partial file); when it is made the row waits to be started (it sends the
    // copy) or the copy discarded.
    void makeFitCopy(const QString &id);
    // The video goes as it is: refused, with the limit's sentence (the offer stays open).
    void keepAsIs(const QString &id);
    // Removes the copy; the row is held with the offer again.
    void discardCopy(const QString &id);

signals:
    void filesAdded(int firstRow, int count);
    void collectingChanged(bool collecting);  // a folder walk started, or the last one ended
    // One sentence on what a drop refused or left out, for the window to show.
    void notice(const QString &sentence);
    void uploadFailed(const QString &id, const QString &message);
    void uploadFinished(const QString &id, const QString &url);
    // The upload goes on, but something needs saying (e.g. it cannot resume after a restart).
    void uploadWarning(const QString &id, const QString &message);
    // The copy that fits is made (the preview can play it), or could not be (one sentence).
    void fitCopyReady(const QString &id, const QString &copyPath);
    void fitCopyFailed(const QString &id, const QString &message);

private:
    Item itemFor(const QString &path) const;
    Item itemFor(const deso::upload::UploadFile &file) const;
    void fitCopyMade(const QString &id, const deso::Result<deso::upload::PreparedVideo> &made);
    void judgeVideoLimits();
    void removeCopy(Item &it);
    bool copyInUse(const QString &copy) const;
    int append(const deso::upload::MediaCollection &collection);
    void changed(int row);
    void pump();
    void launch(const QString &id);
    void failRow(const QString &id, const deso::Error &error);
    QString detailText(const Item &it) const;
    QString progressText(const Item &it) const;
    static int etaSeconds(const Item &it);

    QList<Item> m_items;
    // Per-item rate sampling for the speed estimate; kept out of Item because it is not state.
    struct RateSample {
        QElapsedTimer clock;
        qint64 bytes = 0;
        double speed = 0;  // smoothed
    };
    QHash<QString, RateSample> m_rate;

    deso::node::NodeClient *m_client;
    deso::node::NodeClient *m_mediaServer;
    deso::upload::CredentialsSource m_credentials;
    QString m_tusStoreFile;
    // 8 MiB: within the production rules (5 MiB..200 MiB, 256 KiB multiples) and small
    // enough that a pause or a crash loses little, unlike the web client's 50 MiB.
    qint64 m_chunkSize = 8 * 1024 * 1024;
    qint64 m_mediaServerVideoLimit = 0;  // <= 0: core's default
    bool m_makeFitCopiesUnasked = false;
    // Copies being made, by item id: the flag cancels core's encode.
    struct FitJob {
        std::shared_ptr<std::atomic<bool>> cancel;
        QString path;          // of the original
        qint64 limitBytes = 0; // the copy is made to fit
        QFutureWatcher<deso::Result<deso::upload::PreparedVideo>> *watcher = nullptr;
        bool cancelling = false;
    };
    QHash<QString, FitJob> m_fitJobs;
    int m_maxConcurrent = 2;
    QStringList m_pending;  // started, waiting for a free slot
    QHash<QString, deso::upload::UploadTask *> m_tasks;
    int m_collecting = 0;  // folder walks under way
};
