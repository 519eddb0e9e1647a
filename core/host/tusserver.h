#pragma once
// The tus 1.0.0 protocol (core + creation, creation-with-upload, expiration,
// checksum, termination) on top of UploadStore. Socket-free: the raw connection
// feeds it parsed heads and streams bodies into the sinks it returns.

#include "host/rawexchange.h"
#include "host/uploadstore.h"

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
};

class TusServer {
public:
    using CompletionHandler = std::function<void(const std::shared_ptr<UploadRecord> &)>;

    TusServer(UploadStore &store, TusConfig config, CompletionHandler onComplete);

    // POST /api/v0/upload-video (creation, maybe with upload).
    RawPlan create(const RawRequestHead &head, const QByteArray &baseUrl);
    // Any method on /tus/<token>.
    RawPlan handle(const RawRequestHead &head, const QByteArray &token);
    // OPTIONS: tus discovery (also serves as the CORS preflight answer).
    RawResponse options() const;

    static QByteArray tusPathPrefix() { return "/tus/"; }

private:
    friend class TusPatchSink;
    RawPlan patch(const RawRequestHead &head, const std::shared_ptr<UploadRecord> &record,
                  const HeaderList &extraHeaders);
    void addCommon(RawResponse &r, const UploadRecord *record) const;

    UploadStore &m_store;
    TusConfig m_config;
    CompletionHandler m_onComplete;
};

} // namespace deso::host
