#pragma once
// The tus 1.0.0 protocol (core + creation, creation-with-upload, expiration,
// checksum, termination) on top of UploadStore: the controller of the legacy
// upload-video creation and of /tus/<token>. Socket-free: the front door hands
// it parsed heads and streams bodies into the handlers it admits.

#include "host/http/httphandler.h"
#include "host/storagequota.h"
#include "host/uploadstore.h"

#include <QMutex>

#include <functional>

namespace deso::host {

inline constexpr qint64 kMaxUploadLength = 262144000; // 250 MiB, the node's limit

struct TusConfig {
    qint64 maxSize = kMaxUploadLength;
    // The production video service's chunk rules, for testers checking clients.
    bool enforceProductionChunkRules = false;
    qint64 expirySeconds = 24 * 3600;
    // Bytes between durable checkpoints of a long PATCH (so a crash loses little).
    qint64 checkpointBytes = 32 * 1024 * 1024;
    // The data dir's bound: a creation past it is 507 (unbounded by default).
    StorageQuota quota;
    // Unfinished uploads one client address may hold (created in this run, not yet
    // complete, not expired or deleted); one more creation is 429. 0: no limit.
    int maxUnfinishedPerClient = 0;
};

class TusServer {
public:
    using CompletionHandler = std::function<void(const std::shared_ptr<UploadRecord> &)>;

    TusServer(UploadStore &store, TusConfig config, CompletionHandler onComplete);

    // POST /api/v0/upload-video (creation, maybe with upload).
    Admission create(const HttpRequest &request, const QByteArray &baseUrl);
    // Any method on /tus/<token>.
    Admission handle(const HttpRequest &request, const QByteArray &token);
    // OPTIONS: tus discovery (also serves as the CORS preflight answer).
    HttpResponse options() const;

    static QByteArray tusPathPrefix() { return "/tus/"; }

private:
    friend class TusPatchSink;
    Admission patch(const HttpRequest &request, const std::shared_ptr<UploadRecord> &record,
                    const HeaderList &extraHeaders);
    void addCommon(HttpResponse &r, const UploadRecord *record) const;
    // What a store that takes PATCH bytes itself (UploadStore::takePatch) needs.
    PatchIntake objectPatchIntake(const std::shared_ptr<UploadRecord> &record, qint64 bodyLength,
                                  const QByteArray &checksumHeader, const HeaderList &extraHeaders);
    Status admitToQuota(qint64 length) const;
    Status admitClient(const QByteArray &peerAddress);

    UploadStore &m_store;
    TusConfig m_config;
    CompletionHandler m_onComplete;
    // create() runs off the server thread with object storage (EndpointRouter::decided).
    QMutex m_creatorsMutex;
    QHash<QString, QByteArray> m_creatorOf; // upload id -> client address, for maxUnfinishedPerClient
};

} // namespace deso::host
