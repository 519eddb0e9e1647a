#include "host/endpointhost.h"

#include "host/controllers/imagecontroller.h"
#include "host/controllers/playbackcontroller.h"
#include "host/controllers/mediaservercontroller.h"
#include "host/controllers/tiktokcontroller.h"
#include "host/controllers/videocontroller.h"
#include "host/endpointrouter.h"
#include "host/hoststorage.h"
#include "host/hostsite.h"
#include "host/http/httpserver.h"
#include "host/tusserver.h"
#include "host/uploadstore.h"
#include "host/videoprocessing.h"
#include "identity/jwt.h"
#include "tiktok/tiktokresolver.h"

#include <QDir>
#include <QMutex>
#include <QThread>
#include <QTimer>

#include <atomic>

namespace deso::host {

// Everything the running host owns lives on its own thread; start() and stop()
// hop there and wait.
class EndpointHost::Impl {
public:
    explicit Impl(EndpointHost *q) : q(q) {}

    EndpointHost *q;
    HostSite site;
    std::atomic<bool> running = false;
    std::atomic<int> boundPort = 0;
    QUrl boundBaseUrl; // written before `running` turns true
    QString storageDescription; // likewise
    QThread thread;
    QObject *context = nullptr; // lives in `thread`; parent of the server's QObjects
    QTimer *purgeTimer = nullptr;
    std::unique_ptr<HostStorage> storage;
    identity::DerivedKeyAuthorizations authorizations;
    tiktok::TikTokResolver *resolver = nullptr;
    std::unique_ptr<VideoProcessing> processing;
    std::unique_ptr<TusServer> tus;
    std::unique_ptr<ImageController> images;
    std::unique_ptr<VideoController> videos;
    std::unique_ptr<TikTokController> tiktok;
    std::unique_ptr<PlaybackController> playback;
    std::unique_ptr<MediaServerController> media;
    std::unique_ptr<EndpointRouter> router;
    HttpServer *server = nullptr;

    // The request log crosses from the server thread to the host's owner in
    // batches: one wake-up of the owner's thread per burst, not per request.
    QMutex logMutex;
    QList<RequestLogEntry> pendingLog;
    void log(const RequestLogEntry &entry)
    {
        QMutexLocker lock(&logMutex);
        pendingLog.append(entry);
        if (pendingLog.size() == 1)
            QMetaObject::invokeMethod(q, [this] { deliverLog(); }, Qt::QueuedConnection);
    }
    void deliverLog()
    {
        QList<RequestLogEntry> entries;
        {
            QMutexLocker lock(&logMutex);
            entries.swap(pendingLog);
        }
        for (const auto &entry : entries)
            emit q->requestLogged(entry);
    }

    Status startInThread(const HostConfig &config);
    void stopInThread();
};

EndpointHost::EndpointHost(QObject *parent) : QObject(parent), d(std::make_unique<Impl>(this))
{
    qRegisterMetaType<RequestLogEntry>();
    // The server (sockets, tus disk writes and fsyncs, controllers) runs
    // on its own thread so a GUI owner stays responsive during uploads.
    d->thread.setObjectName(QStringLiteral("EndpointHost"));
    d->context = new QObject;
    d->context->moveToThread(&d->thread);
    connect(&d->thread, &QThread::finished, d->context, &QObject::deleteLater);
    d->thread.start();
}

EndpointHost::~EndpointHost()
{
    stop();
    d->thread.quit();
    d->thread.wait();
}

template <typename F>
static auto runIn(QThread &thread, QObject *context, F f)
{
    if (QThread::currentThread() == &thread)
        return f();
    decltype(f()) result{};
    QMetaObject::invokeMethod(context, [&] { result = f(); }, Qt::BlockingQueuedConnection);
    return result;
}

Status EndpointHost::start(const HostConfig &config)
{
    if (d->running)
        return Error(QStringLiteral("host.running"), QStringLiteral("The endpoint host is already running."));
    if (!config.bindAddress.isLoopback() && !config.allowNonLoopback)
        return Error(QStringLiteral("host.non_loopback"),
                     QStringLiteral("Refusing to listen on %1, which is not a loopback address; allow remote access explicitly to do that.")
                         .arg(config.bindAddress.toString()));
    return runIn(d->thread, d->context, [&] { return d->startInThread(config); });
}

Status EndpointHost::Impl::startInThread(const HostConfig &newConfig)
{
    site = HostSite{newConfig, 0, {}};
    const HostConfig &config = site.config;
    authorizations = {};
    if (!config.derivedKeyAuthorizationsPath.isEmpty()) {
        auto loaded = identity::DerivedKeyAuthorizations::fromFile(config.derivedKeyAuthorizationsPath);
        if (!loaded.ok())
            return loaded.error();
        authorizations = loaded.value();
    }
    auto made = makeHostStorage(config);
    if (!made.ok())
        return made.error();
    storage = std::move(made).value();
    if (auto s = storage->open(); !s.ok()) {
        storage.reset();
        return s;
    }
    UploadStore &store = storage->uploads();
    if (const QString dataDir = storage->localDataDir(); !dataDir.isEmpty()) {
        // A host killed mid-write leaves temporary files; they are never served, and not kept.
        ImageController::removeUnfinished(QDir(dataDir).filePath(QStringLiteral("images")));
        site.quota = StorageQuota::forDirectory(dataDir, config.maxStorageBytes);
    }

    tiktok::TikTokResolverOptions tiktokOptions;
    tiktokOptions.shortLinkBase = config.tiktokShortLinkBase;
    tiktokOptions.allowLoopbackBaseForTests = config.tiktokAllowLoopbackForTests;
    resolver = new tiktok::TikTokResolver(tiktokOptions, context);

    processing = std::make_unique<VideoProcessing>(*storage, context);
    TusConfig tusConfig;
    tusConfig.enforceProductionChunkRules = config.enforceProductionChunkRules;
    tusConfig.expirySeconds = config.uploadExpirySeconds;
    tusConfig.quota = site.quota;
    tusConfig.maxUnfinishedPerClient = config.maxUnfinishedUploadsPerClient;
    // Object storage finds uploads complete on its own threads: the job is queued in
    // the bucket there, before the answer leaves; the data dir on the server thread.
    const auto onComplete = [this](const std::shared_ptr<UploadRecord> &r) {
        if (QThread::currentThread() != context->thread()) {
            if (processing)
                processing->uploadCompleteHere(r);
            return;
        }
        if (processing)
            processing->uploadComplete(r);
    };
    tus = std::make_unique<TusServer>(store, tusConfig, onComplete);
    images = std::make_unique<ImageController>(site, *storage, authorizations, context);
    videos = std::make_unique<VideoController>(site, *storage);
    if (storage->callsBlock())
        videos->onAbandonedJob([this](const QString &id) {
            QMetaObject::invokeMethod(context, [this, id] {
                if (processing)
                    processing->takeOver(id);
            });
        });
    tiktok = std::make_unique<TikTokController>(resolver);
    playback = std::make_unique<PlaybackController>(*storage);
    media = std::make_unique<MediaServerController>(site, store, authorizations, config.mediaUploadMaxBytes, onComplete);
    if (storage->callsBlock())
        media->adoptOn(*storage, context);
    router = std::make_unique<EndpointRouter>(site, EndpointRouter::Controllers{images.get(), tus.get(), videos.get(), tiktok.get(),
                                                                               playback.get(), media.get(), storage.get(), context},
                                              [this](const RequestLogEntry &entry) { log(entry); });
    server = new HttpServer(router.get(), config.httpLimits, context);
    if (!server->listen(config.bindAddress, config.port)) {
        const QString why = server->errorString();
        stopInThread();
        return Error(QStringLiteral("host.listen"), QStringLiteral("Cannot listen on %1 port %2: %3")
                                                        .arg(config.bindAddress.toString()).arg(config.port).arg(why));
    }
    site.port = server->serverPort();
    boundPort = site.port;
    boundBaseUrl = QUrl(QString::fromLatin1("http://" + site.fallbackAuthority()));
    storageDescription = storage->description();
    running = true;
    processing->resumeUnfinished();
    // A sweep of object storage lists the bucket: off the server thread.
    const auto purge = [this] {
        runStorageWork<int>(*storage, context, [this] { return int(storage->uploads().purgeExpired(QDateTime::currentDateTimeUtc()).size()); },
                            [](int) {});
    };
    purge();
    purgeTimer = new QTimer(context);
    QObject::connect(purgeTimer, &QTimer::timeout, context, purge);
    purgeTimer->start(60 * 1000);
    return {};
}

void EndpointHost::stop()
{
    if (!d->running)
        return;
    runIn(d->thread, d->context, [this] {
        d->stopInThread();
        return 0;
    });
}

void EndpointHost::Impl::stopInThread()
{
    running = false;
    delete purgeTimer;
    purgeTimer = nullptr;
    // Closing the server closes every connection; bodies mid-stream are kept up
    // to the bytes received (their handlers are abandoned, and commit).
    delete server;
    server = nullptr;
    if (storage)
        storage->drainBlockingWork(); // bucket work of closed requests ends while its controllers exist
    router.reset();
    playback.reset();
    media.reset();
    tiktok.reset();
    videos.reset();
    images.reset();
    tus.reset();
    processing.reset(); // running jobs are cancelled (resumed at the next start); their results dropped
    delete resolver;
    resolver = nullptr;
    storage.reset();
    boundPort = 0;
}

bool EndpointHost::isRunning() const
{
    return d->running;
}

QUrl EndpointHost::baseUrl() const
{
    return d->running ? d->boundBaseUrl : QUrl();
}

quint16 EndpointHost::port() const
{
    return d->running ? quint16(d->boundPort) : quint16(0);
}

const HostConfig &EndpointHost::config() const
{
    return d->site.config;
}

QString EndpointHost::storageDescription() const
{
    return d->running ? d->storageDescription : QString();
}

int EndpointHost::purgeExpiredUploads()
{
    if (!d->running)
        return 0;
    if (d->storage->callsBlock()) // its calls block: never on the server thread (this one waits for them)
        return int(d->storage->uploads().purgeExpired(QDateTime::currentDateTimeUtc()).size());
    return runIn(d->thread, d->context, [this] { return int(d->storage->uploads().purgeExpired(QDateTime::currentDateTimeUtc()).size()); });
}

} // namespace deso::host
