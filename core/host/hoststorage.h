#pragma once
// Where the host keeps what it is given and what it makes, by key:
//   images/<sha256>.<webp|gif>     stored images (content addressed)
//   uploads/<id>/info.json, data   an upload's record and bytes (UploadStore)
//   uploads/<id>/media/...         its processing outputs (HLS ladder, poster, MP4)
// Two backends: LocalDirStorage (the data dir; a key is a path under it, the
// default and the layout the host always had) and S3Storage (s3storage.h: the
// same keys under a bucket prefix, shared by several instances).

#include "common/result.h"
#include "host/http/httphandler.h"
#include "host/uploadstore.h"

#include <QMetaObject>
#include <QObject>
#include <QString>

#include <functional>
#include <memory>

namespace deso::host {

QString imageKey(const QString &name);
QString uploadMediaKey(const QString &id, const QString &relativePath);
QString uploadDataKey(const QString &id);

class HostStorage {
public:
    virtual ~HostStorage() = default;

    // Prepares the backend (directories, the bucket's reachability).
    virtual Status open() = 0;
    // For logs and the GUI: where things are kept. Never carries a secret.
    virtual QString description() const = 0;
    virtual UploadStore &uploads() = 0;
    // The local data dir when the backend is one (its quota applies); empty otherwise.
    virtual QString localDataDir() const = 0;

    // Whether record and object calls may block on the network (object storage).
    // Then the server thread never makes them itself: it hands them to
    // runBlocking (runStorageWork below) and answers later.
    virtual bool callsBlock() const { return false; }
    // Runs `task` on the backend's own threads (callsBlock() backends; others run it here).
    virtual void runBlocking(std::function<void()> task) { task(); }
    // The host stopping, on the server thread: waits for runBlocking tasks and
    // delivers the results they posted back, so none arrives after the host is gone.
    virtual void drainBlockingWork() {}

    // Stored objects. Worker threads only (they may block on the network).
    virtual Result<bool> exists(const QString &key) = 0;
    // Visible whole under `key`, or not at all.
    virtual Status put(const QString &key, const QByteArray &bytes, const QByteArray &contentType) = 0;
    // Server thread: GET/HEAD of a stored object (Range honoured; `headers` go on
    // 200/206 answers), or 404 with `notFoundMessage`.
    virtual Admission serve(const HttpRequest &request, const QString &key, const QByteArray &contentType,
                            const HeaderList &headers, const QString &notFoundMessage) = 0;

    // Processing (pool threads). The finished upload's bytes as a local file,
    // fetched into `scratchDir` if they live elsewhere.
    virtual Result<QString> processingSource(const QString &id, const QString &scratchDir) = 0;
    // Whether upload `id`'s outputs are all stored (a run finished before a restart).
    virtual bool outputsPublished(const QString &id) = 0;
    // A local folder for a run's outputs before publishOutputs (emptied by the caller).
    virtual QString outputsStaging(const QString &id, const QString &scratchDir) = 0;
    // Stores every file of `stagingDir` as upload `id`'s outputs, all or nothing
    // visible to readers of the master playlist; `stagingDir` is gone afterwards.
    virtual Status publishOutputs(const QString &id, const QString &stagingDir) = 0;
    // A local folder for temporary files of processing (per job subfolders).
    virtual QString scratchDir() const = 0;

    // Processing shared by several instances (object storage; the data dir has one
    // instance, so these say yes and do nothing). Blocking calls, off the server thread.
    // A job is held by a lease its instance renews; another instance takes over a
    // queued or running job whose lease ran out (its instance died).
    // Takes upload `id`'s job for `owner`: false when another owner's lease is live.
    virtual Result<bool> claimProcessing(const QString &id, const QString &owner)
    {
        Q_UNUSED(id);
        Q_UNUSED(owner);
        return true;
    }
    // Extends the lease; an error when it is no longer `owner`'s (taken over).
    virtual Status renewProcessing(const QString &id, const QString &owner)
    {
        Q_UNUSED(id);
        Q_UNUSED(owner);
        return {};
    }
    virtual void releaseProcessing(const QString &id, const QString &owner)
    {
        Q_UNUSED(id);
        Q_UNUSED(owner);
    }
    // Whether upload `id`'s job has no live lease (nobody runs it).
    virtual bool processingAbandoned(const QString &id)
    {
        Q_UNUSED(id);
        return false;
    }
};

// The data dir: <dataDir>/<key>, the host's layout before there were backends.
class LocalDirStorage final : public HostStorage {
public:
    explicit LocalDirStorage(QString dataDir);

    Status open() override;
    QString description() const override;
    UploadStore &uploads() override { return m_uploads; }
    QString localDataDir() const override { return m_dataDir; }

    Result<bool> exists(const QString &key) override;
    Status put(const QString &key, const QByteArray &bytes, const QByteArray &contentType) override;
    Admission serve(const HttpRequest &request, const QString &key, const QByteArray &contentType,
                    const HeaderList &headers, const QString &notFoundMessage) override;

    Result<QString> processingSource(const QString &id, const QString &scratchDir) override;
    bool outputsPublished(const QString &id) override;
    QString outputsStaging(const QString &id, const QString &scratchDir) override;
    Status publishOutputs(const QString &id, const QString &stagingDir) override;
    QString scratchDir() const override;

    QString pathOf(const QString &key) const;

private:
    QString m_dataDir;
    LocalUploadStore m_uploads;
};

// Runs `work` where storage calls may block, then `done(result)` on `context`'s
// thread (the server thread); for a backend whose calls do not block, both at
// once, here. `context` outlives the work (the host drains it before stopping).
template <class T>
void runStorageWork(HostStorage &storage, QObject *context, std::function<T()> work, std::function<void(T)> done)
{
    if (!storage.callsBlock()) {
        done(work());
        return;
    }
    storage.runBlocking([context, work = std::move(work), done = std::move(done)] {
        auto result = std::make_shared<T>(work());
        QMetaObject::invokeMethod(context, [done, result] { done(std::move(*result)); }, Qt::QueuedConnection);
    });
}

// The storage a host configuration names: `dir:PATH`, `s3://BUCKET[/PREFIX]`,
// or empty for the data dir.
struct HostConfig;
Result<std::unique_ptr<HostStorage>> makeHostStorage(const HostConfig &config);

} // namespace deso::host
