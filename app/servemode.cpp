#include "servemode.h"

#include "host/endpointhost.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QHostAddress>
#include <QSocketNotifier>
#include <QStandardPaths>
#include <QTextStream>
#include <QTimer>

#include <csignal>
#include <cstdio>
#include <ctime>
#include <sys/socket.h>
#include <unistd.h>

namespace {

int g_signalPipe[2] = {-1, -1};

// Async-signal-safe: only write(); the event loop does the rest.
void onSignal(int signal)
{
    const char byte = char(signal);
    [[maybe_unused]] const auto n = ::write(g_signalPipe[1], &byte, 1);
}

} // namespace

void addServeOptions(QCommandLineParser &parser)
{
    parser.addOptions({
        {QStringLiteral("port"), QStringLiteral("--serve: TCP port (default 8089; 0 picks a free one)."),
         QStringLiteral("N"), QStringLiteral("8089")},
        {QStringLiteral("bind"), QStringLiteral("--serve: address to listen on (default 127.0.0.1)."),
         QStringLiteral("ADDR"), QStringLiteral("127.0.0.1")},
        {QStringLiteral("data-dir"), QStringLiteral("--serve: where uploads, videos and images are stored."),
         QStringLiteral("DIR")},
        {QStringLiteral("allow-remote"), QStringLiteral("--serve: allow --bind to a non-loopback address.")},
        {QStringLiteral("production-chunk-rules"),
         QStringLiteral("--serve: enforce the production tus chunk rules (5 MiB..200 MiB, 256 KiB multiples).")},
        {QStringLiteral("trust-forwarded"), QStringLiteral("--serve: build handed-out URLs from X-Forwarded-Host/-Proto.")},
        {QStringLiteral("media-max-bytes"),
         QStringLiteral("--serve: the largest video a media-server upload-video (multipart or direct PUT) accepts, in bytes (default 262144000)."),
         QStringLiteral("N")},
    });
}

int runServeCommand(const QCommandLineParser &parser)
{
    ServeOptions serve;
    bool portOk = false;
    const uint port = parser.value(QStringLiteral("port")).toUInt(&portOk);
    if (!portOk || port > 65535) {
        QTextStream(stderr) << "deso-media --serve: --port needs a number from 0 to 65535.\n";
        return 2;
    }
    serve.port = quint16(port);
    serve.bind = parser.value(QStringLiteral("bind"));
    serve.dataDir = parser.value(QStringLiteral("data-dir"));
    serve.allowRemote = parser.isSet(QStringLiteral("allow-remote"));
    serve.productionChunkRules = parser.isSet(QStringLiteral("production-chunk-rules"));
    serve.trustForwarded = parser.isSet(QStringLiteral("trust-forwarded"));
    if (parser.isSet(QStringLiteral("media-max-bytes"))) {
        bool ok = false;
        serve.mediaMaxBytes = parser.value(QStringLiteral("media-max-bytes")).toLongLong(&ok);
        if (!ok || serve.mediaMaxBytes <= 0) {
            QTextStream(stderr) << "deso-media --serve: --media-max-bytes needs a positive number of bytes.\n";
            return 2;
        }
    }
    // The same option --verify-jwt uses (app/testkeys.cpp): one list of accepted derived keys.
    serve.derivedKeyAuthorizations = parser.value(QStringLiteral("derived-key-authorizations"));
    return runServe(serve);
}

// 2026-12-02T04:55:32.390Z, written by hand: QDateTime::toString took more time
// per request than answering it.
static QByteArray logTime(const QDateTime &at)
{
    const qint64 ms = at.toMSecsSinceEpoch();
    const time_t seconds = time_t(ms / 1000);
    struct tm parts {};
    gmtime_r(&seconds, &parts);
    char text[32];
    const int n = std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900,
                                parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec, int(ms % 1000));
    return QByteArray(text, qMax(0, n));
}

int runServe(const ServeOptions &options)
{
    QTextStream out(stdout);
    QTextStream err(stderr);

    QHostAddress address;
    if (options.bind == QLatin1String("localhost"))
        address = QHostAddress::LocalHost;
    else if (!address.setAddress(options.bind)) {
        err << "deso-media --serve: --bind needs an IP address, not \"" << options.bind << "\".\n";
        return 2;
    }

    deso::host::HostConfig config;
    config.bindAddress = address;
    config.port = options.port;
    config.dataDir = options.dataDir.isEmpty()
        ? QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + QStringLiteral("/host")
        : options.dataDir;
    config.allowNonLoopback = options.allowRemote;
    config.enforceProductionChunkRules = options.productionChunkRules;
    config.trustForwardedHeaders = options.trustForwarded;
    config.derivedKeyAuthorizationsPath = options.derivedKeyAuthorizations;
    if (options.mediaMaxBytes > 0)
        config.mediaUploadMaxBytes = options.mediaMaxBytes;

    deso::host::EndpointHost host;
    // One write per burst of requests, not per line: entries come in batches,
    // and the flush runs once the batch is written.
    bool flushQueued = false;
    QObject::connect(&host, &deso::host::EndpointHost::requestLogged, &host,
                     [&out, &host, &flushQueued](const deso::host::RequestLogEntry &e) {
                         out << logTime(e.at) << ' ' << e.method << ' ' << e.path << ' ' << e.status
                             << ' ' << e.bytes << "B " << e.durationMs << "ms\n";
                         if (!flushQueued) {
                             flushQueued = true;
                             QTimer::singleShot(0, &host, [&out, &flushQueued] {
                                 out.flush();
                                 flushQueued = false;
                             });
                         }
                     });
    if (auto s = host.start(config); !s.ok()) {
        err << "deso-media --serve: " << s.error().message << '\n';
        return 1;
    }

    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, g_signalPipe) != 0) {
        err << "deso-media --serve: cannot set up signal handling.\n";
        return 1;
    }
    QSocketNotifier notifier(g_signalPipe[0], QSocketNotifier::Read);
    QObject::connect(&notifier, &QSocketNotifier::activated, [&] {
        char byte = 0;
        [[maybe_unused]] const auto n = ::read(g_signalPipe[0], &byte, 1);
        out << "deso-media --serve: stopping (signal " << int(byte) << ").\n";
        out.flush();
        QCoreApplication::quit();
    });
    struct sigaction action = {};
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);

    out << "deso-media --serve: listening on " << host.baseUrl().toString() << " (data in "
        << QDir::toNativeSeparators(config.dataDir) << ")\n";
    out.flush();
    const int code = QCoreApplication::exec();
    host.stop();
    ::close(g_signalPipe[0]);
    ::close(g_signalPipe[1]);
    return code;
}
