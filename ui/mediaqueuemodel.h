#pragma once
// The queue of files the user dropped, as a list model for the queue view.
// It holds what the view shows (thumbnail, type, size, dimensions, state, progress)
// and can be saved and restored, so resumable uploads survive a restart.

#include <QAbstractListModel>
#include <QElapsedTimer>
#include <QImage>
#include <QJsonArray>
#include <QList>
#include <QSize>
#include <QString>

class MediaQueueModel : public QAbstractListModel {
    Q_OBJECT
public:
    enum class Kind { Image, Video, Unsupported };
    Q_ENUM(Kind)
    enum class State { Waiting, Processing, Uploading, Paused, Done, Failed, Refused };
    Q_ENUM(State)

    struct Item {
        QString id;        // stable key for async results and persistence
        QString path;
        QString name;
        QString mimeType;
        qint64 size = 0;
        Kind kind = Kind::Unsupported;
        State state = State::Waiting;
        QString reason;    // why it was refused or failed; empty otherwise
        QSize dimensions;  // pixels, once known
        QImage thumbnail;  // small preview, filled in off the UI thread
        qint64 bytesSent = 0;
        qint64 bytesTotal = 0;     // what goes over the wire (the processed size for images)
        double bytesPerSecond = 0; // smoothed upload speed
        QString resultUrl;         // ImageURL, or the video's stream URL when it is ready
        QString videoId;           // Stream-Media-Id of a video upload
        QString uploadUrl;         // tus Location: lets an upload resume after a restart
        QString remoteStatus;      // the node's view of a video (processing, ready, error)
        bool resumable = false;    // restored from an earlier run with a tus upload to continue
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
        ProgressTextRole // "1.2 MB of 3.4 MB · 800 KB/s · 3 s left"
    };

    explicit MediaQueueModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    const Item &item(int row) const { return m_items.at(row); }
    int rowOf(const QString &id) const;  // -1 when the id is not in the queue
    const Item *find(const QString &id) const;

    // Adds each local file; unsupported or unreadable ones are added as Refused with
    // the reason, so nothing the user dropped disappears silently. Returns rows added.
    int addFiles(const QStringList &paths);
    void removeRow(int row);
    void clearFinished();  // drops done and refused rows

    // Updates, addressed by item id; they are no-ops for ids no longer in the queue.
    void setState(const QString &id, State state, const QString &reason = {});
    void setThumbnail(const QString &id, const QImage &thumbnail, const QSize &dimensions);
    void setDimensions(const QString &id, const QSize &dimensions);
    // speed: bytes per second measured by the uploader; < 0 = estimate it here.
    void setProgress(const QString &id, qint64 sent, qint64 total, double speed = -1);
    void resetProgress(const QString &id);
    void setResultUrl(const QString &id, const QString &url);
    void setVideoUpload(const QString &id, const QString &uploadUrl, const QString &videoId);
    void setRemoteStatus(const QString &id, const QString &status);

    struct Totals {
        int items = 0, done = 0, active = 0, failed = 0, refused = 0;
        qint64 bytesSent = 0, bytesTotal = 0;
        double bytesPerSecond = 0;
    };
    Totals totals() const;
    QString totalsText() const;

    // The queue as JSON (without thumbnails) and back. Items that were uploading come
    // back Paused and marked resumable when a tus URL was known, Waiting otherwise.
    QJsonArray toJson() const;
    int restore(const QJsonArray &items);

    static Item describe(const QString &path);
    static QString humanSize(qint64 bytes);
    static QString humanDuration(qint64 seconds);
    static QString stateName(State state);
    static bool isActive(State state) { return state == State::Processing || state == State::Uploading; }

private:
    void changed(int row);
    QString detailText(const Item &it) const;
    QString progressText(const Item &it) const;
    static int etaSeconds(const Item &it);

    QList<Item> m_items;
    // Per-item rate sampling for the speed estimate; kept out of Item because it is not state.
    struct RateSample {
        QElapsedTimer clock;
        qint64 bytes = 0;
    };
    QHash<QString, RateSample> m_rate;
};
