#pragma once
// Drives the queue's uploads through core's asynchronous clients: images through
// NodeClient::uploadImage (made acceptable by core/image first when they exceed the
// node's limits), videos through TusUploader (pause/resume/cancel, resumable after a
// restart via its upload store) and then VideoStatusPoller until the video can stream.
// It only translates between those clients and MediaQueueModel; nothing blocks the UI.

#include "common/result.h"

#include <QHash>
#include <QObject>
#include <QPointer>
#include <QUrl>

#include <functional>

class MediaQueueModel;

namespace deso::node {
class NodeClient;
class VideoStatusPoller;
}
namespace deso::tus {
class TusUploader;
}

struct UploadCredentials {
    QString publicKey;  // Base58Check
    QString jwt;
};

class QueueUploader : public QObject {
    Q_OBJECT
public:
    explicit QueueUploader(MediaQueueModel *model, QObject *parent = nullptr);
    ~QueueUploader() override;

    void setNodeUrl(const QUrl &baseUrl);
    QUrl nodeUrl() const;
    // Asked each time an image upload starts (a test key signs a fresh JWT each time).
    void setCredentialsProvider(std::function<deso::Result<UploadCredentials>()> provider);
    // Where TusUploader remembers upload URLs between runs; empty = its default.
    void setTusStoreFile(const QString &path) { m_tusStoreFile = path; }
    void setTusChunkSize(qint64 bytes) { m_chunkSize = bytes; }
    // Where images made acceptable (smaller) are written before upload.
    void setWorkDir(const QString &dir) { m_workDir = dir; }
    // Uploads at once; more wait in the queue.
    void setMaxConcurrent(int n) { m_maxConcurrent = std::max(1, n); }

    bool canStart(const QString &id) const;
    bool canPause(const QString &id) const;
    bool canResume(const QString &id) const;
    bool canCancel(const QString &id) const;
    bool canRetry(const QString &id) const;
    int activeCount() const;

public slots:
    void start(const QString &id);
    void startAll();
    void pause(const QString &id);
    void resume(const QString &id);
    void cancel(const QString &id);
    void retry(const QString &id);

signals:
    void uploadFailed(const QString &id, const QString &message);
    void uploadFinished(const QString &id, const QString &url);

private:
    struct Job;
    void pump();
    void launch(const QString &id);
    void launchImage(const QString &id, Job &job);
    void sendImage(const QString &id, const QString &path);
    void launchVideo(const QString &id, Job &job);
    void pollVideo(const QString &id, const QString &videoId);
    void fail(const QString &id, const QString &message);
    void finishJob(const QString &id);

    MediaQueueModel *m_model;
    deso::node::NodeClient *m_client;
    std::function<deso::Result<UploadCredentials>()> m_credentials;
    QString m_tusStoreFile;
    QString m_workDir;
    // 8 MiB: within the production rules (5 MiB..200 MiB, 256 KiB multiples) and small
    // enough that a pause or a crash loses little, unlike the web client's 50 MiB.
    qint64 m_chunkSize = 8 * 1024 * 1024;
    int m_maxConcurrent = 2;
    QStringList m_pending;  // ids started but waiting for a free slot
    QHash<QString, Job *> m_jobs;
};
