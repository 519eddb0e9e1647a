#pragma once
// The local endpoint host: serves a DeSo node's media endpoints on this machine
// (upload-image, upload-video + a tus 1.0.0 server, get-video-status,
// get-video-dimensions, get-full-tiktok-url, /images/<name>, /videos/<id>).
// Every request passes one HTTP/1.1 front door (http/httpserver.h) and is
// admitted by one endpoint table (endpointrouter.h) to a controller.
// The server runs on a thread of its own; start() and stop() block until it
// has started or stopped. requestLogged is emitted on this object's thread,
// soon after each answer is ready (entries cross threads in batches).

#include "common/result.h"
#include "host/http/httplimits.h"

#include <QDateTime>
#include <QHostAddress>
#include <QObject>
#include <QStringList>
#include <QUrl>

#include <memory>

namespace deso::host {

struct HostConfig {
    QHostAddress bindAddress = QHostAddress::LocalHost;
    quint16 port = 0; // 0 = any free port
    QString dataDir;  // uploads/, videos and images live here; required unless `storage` names them
    // Where uploads, images and processing outputs are kept (host/hoststorage.h):
    // "dir:PATH", or empty for dataDir.
    QString storage;
    // ImageURLs handed out start with this instead of the host's own address.
    QUrl publicBaseUrl;
    // With storage s3://...: the S3 endpoint (empty: AWS), the region (empty:
    // AWS_REGION, ~/.aws/config, us-east-1) and the multipart part size. The
    // credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or
    // ~/.aws/credentials, never from here. dataDir then holds only scratch files.
    QUrl s3Endpoint;
    QString s3Region;
    qint64 s3PartBytes = 8LL * 1024 * 1024;
    // Binding anything but loopback exposes the host to the network: opt in.
    bool allowNonLoopback = false;
    // The production video service's tus chunk rules (min 5 MiB except the
    // last, max 200 MiB, multiple of 256 KiB), for testers checking clients.
    bool enforceProductionChunkRules = false;
    QUrl tiktokShortLinkBase = QUrl(QStringLiteral("https://vm.tiktok.com/"));
    // Test-only: lets tiktokShortLinkBase be http on loopback (a fake redirector).
    bool tiktokAllowLoopbackForTests = false;
    // Build handed-out URLs from X-Forwarded-Host/-Proto (behind a trusted proxy).
    bool trustForwardedHeaders = false;
    // Incomplete uploads are deleted this long after their last write.
    qint64 uploadExpirySeconds = 24 * 3600;
    // JSON file of derived keys the host accepts JWTs from ({"<owner>": ["<derived>", ...]}).
    // The host has no chain to check authorizations on, so without an entry here a
    // JWT signed by a derived key is refused. Empty = none.
    QString derivedKeyAuthorizationsPath;
    // The largest video file the media-server upload (multipart POST or direct PUT)
    // accepts; default 250 MiB, the node's tus limit.
    qint64 mediaUploadMaxBytes = 262144000;
    // Head size and time, body stalls, keep-alive, connections.
    HttpLimits httpLimits;

    // Web pages in the user's browser can reach a host on 127.0.0.1 (see
    // README "Web pages in your browser"). CORS answers, and unsafe requests
    // (POST, PATCH, DELETE) carrying an Origin are admitted, only for loopback
    // origins and these (scheme://host[:port]); "*" allows every origin.
    QStringList allowedOrigins;
    // When bound to loopback, a request whose Host is not a loopback name or
    // address is refused (DNS rebinding), unless its name is listed here
    // ("*" allows any Host).
    QStringList allowedHosts;
    // The data dir's bound: an upload that would take it past this is refused
    // with 507 instead of filling the disk. -1: half of the free space at start
    // plus what is already stored; 0: no bound.
    qint64 maxStorageBytes = -1;
    // Unfinished tus uploads one client address may hold at once; one more
    // creation is 429 with a sentence. 0: no limit.
    int maxUnfinishedUploadsPerClient = 100;
};

struct RequestLogEntry {
    QString method;
    QString path;    // tus tokens are shortened: the URL is a credential
    int status = 0;
    qint64 bytes = 0; // body bytes received plus body bytes sent
    qint64 durationMs = 0;
    QDateTime at;
};

class EndpointHost : public QObject {
    Q_OBJECT
public:
    explicit EndpointHost(QObject *parent = nullptr);
    ~EndpointHost() override;

    Status start(const HostConfig &config);
    void stop();
    bool isRunning() const;
    // http://<bind address>:<port> (127.0.0.1 when bound to "any").
    QUrl baseUrl() const;
    quint16 port() const;
    const HostConfig &config() const;
    // Where the running host keeps things ("dir:/path" or "s3://bucket/prefix at
    // endpoint (region)"); never a secret.
    QString storageDescription() const;

    // Deletes expired incomplete uploads now (also runs every minute).
    int purgeExpiredUploads();

signals:
    void requestLogged(const deso::host::RequestLogEntry &entry);

private:
    class Impl;
    std::unique_ptr<Impl> d;
};

} // namespace deso::host

Q_DECLARE_METATYPE(deso::host::RequestLogEntry)
