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

#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <limits>
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

std::optional<qint64> parseStorageSize(const QString &text)
{
    QString t = text.trimmed().toUpper();
    if (t.endsWith(QLatin1Char('B')))
        t.chop(1);
    qint64 unit = 1;
    if (!t.isEmpty()) {
        const int shift = QStringLiteral("KMGT").indexOf(t.back()) + 1;
        if (shift > 0) {
            unit = qint64(1) << (10 * shift);
            t.chop(1);
        }
    }
    bool ok = false;
    const qint64 n = t.toLongLong(&ok);
    if (!ok || n < 0 || n > std::numeric_limits<qint64>::max() / unit)
        return std::nullopt;
    return n * unit;
}

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
        {QStringLiteral("head-timeout"), QStringLiteral("--serve: seconds a request head may take to arrive (default 30; then 408)."),
         QStringLiteral("S"), QStringLiteral("30")},
        {QStringLiteral("body-timeout"), QStringLiteral("--serve: seconds a request body may stall (default 60; then closed)."),
         QStringLiteral("S"), QStringLiteral("60")},
        {QStringLiteral("send-timeout"), QStringLiteral("--serve: seconds a client may read nothing of an answer (default 60)."),
         QStringLiteral("S"), QStringLiteral("60")},
        {QStringLiteral("keepalive-timeout"), QStringLiteral("--serve: seconds an idle kept-alive connection stays open (default 75)."),
         QStringLiteral("S"), QStringLiteral("75")},
        {QStringLiteral("max-connections"), QStringLiteral("--serve: concurrent connections (default 1024; the oldest idle go first)."),
         QStringLiteral("N"), QStringLiteral("1024")},
        {QStringLiteral("allow-origin"), QStringLiteral("--serve: a web origin (scheme://host[:port]) allowed besides loopback ones; "
                                                        "'*' allows every origin. Repeatable."),
         QStringLiteral("ORIGIN")},
        {QStringLiteral("allow-host"), QStringLiteral("--serve: a Host name served besides loopback names (DNS rebinding guard); "
                                                      "'*' allows any. Repeatable."),
         QStringLiteral("NAME")},
        {QStringLiteral("max-storage"), QStringLiteral("--serve: bound on the data folder, bytes or with K/M/G/T (0: none; "
                                                       "default half of the free space at start)."),
         QStringLiteral("SIZE")},
        {QStringLiteral("max-unfinished-uploads"), QStringLiteral("--serve: unfinished tus uploads one client address may hold "
                                                                  "(default 100; one more is 429; 0: no limit)."),
         QStringLiteral("N"), QStringLiteral("100")},
        {QStringLiteral("storage"), QStringLiteral("--serve: where uploads, images and processed videos are kept: dir:PATH "
                                                   "(default: --data-dir) or s3://BUCKET[/PREFIX] (S3-compatible object storage; "
                                                   "credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or ~/.aws/credentials)."),
         QStringLiteral("SPEC")},
        {QStringLiteral("s3-endpoint"), QStringLiteral("--serve: the S3 endpoint URL for --storage s3://... (default: AWS)."),
         QStringLiteral("URL")},
        {QStringLiteral("s3-region"), QStringLiteral("--serve: the S3 region (default: AWS_REGION, ~/.aws/config, us-east-1)."),
         QStringLiteral("REGION")},
        {QStringLiteral("public-base-url"), QStringLiteral("--serve: ImageURLs handed out start with this URL (a CDN or the "
                                                           "bucket's public address) instead of the host's."),
         QStringLiteral("URL")},
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

    const auto seconds = [&](const char *name, int *ms) {
        bool ok = false;
        const int s = parser.value(QLatin1String(name)).toInt(&ok);
        if (!ok || s < 1 || s > 24 * 3600) {
            QTextStream(stderr) << "deso-media --serve: --" << name << " needs a number of seconds from 1 to 86400.\n";
            return false;
        }
        *ms = s * 1000;
        return true;
    };
    if (!seconds("head-timeout", &serve.limits.headTimeoutMs) || !seconds("body-timeout", &serve.limits.bodyStallTimeoutMs)
        || !seconds("send-timeout", &serve.limits.sendStallTimeoutMs)
        || !seconds("keepalive-timeout", &serve.limits.keepAliveIdleMs))
        return 2;
    bool connectionsOk = false;
    serve.limits.maxConnections = parser.value(QStringLiteral("max-connections")).toInt(&connectionsOk);
    if (!connectionsOk || serve.limits.maxConnections < 1 || serve.limits.maxConnections > 100000) {
        QTextStream(stderr) << "deso-media --serve: --max-connections needs a number from 1 to 100000.\n";
        return 2;
    }
    serve.allowedOrigins = parser.values(QStringLiteral("allow-origin"));
    serve.allowedHosts = parser.values(QStringLiteral("allow-host"));
    if (parser.isSet(QStringLiteral("max-storage"))) {
        const auto bytes = parseStorageSize(parser.value(QStringLiteral("max-storage")));
        if (!bytes) {
            QTextStream(stderr) << "deso-media --serve: --max-storage needs a size such as 500M, 20G or 0 (no bound).\n";
            return 2;
        }
        serve.maxStorageBytes = *bytes;
    }
    bool unfinishedOk = false;
    serve.maxUnfinishedUploads = parser.value(QStringLiteral("max-unfinished-uploads")).toInt(&unfinishedOk);
    if (!unfinishedOk || serve.maxUnfinishedUploads < 0 || serve.maxUnfinishedUploads > 1000000) {
        QTextStream(stderr) << "deso-media --serve: --max-unfinished-uploads needs a number from 0 (no limit) to 1000000.\n";
        return 2;
    }
    serve.storage = parser.value(QStringLiteral("storage"));
    serve.s3Endpoint = parser.value(QStringLiteral("s3-endpoint"));
    serve.s3Region = parser.value(QStringLiteral("s3-region"));
    serve.publicBaseUrl = parser.value(QStringLiteral("public-base-url"));
    const auto isHttpUrl = [](const QString &text) {
        const QUrl url(text, QUrl::StrictMode);
        return url.isValid() && (url.scheme() == QLatin1String("http") || url.scheme() == QLatin1String("https"))
            && !url.host().isEmpty();
    };
    if (!serve.storage.isEmpty() && !serve.storage.startsWith(QLatin1String("dir:"))
        && !serve.storage.startsWith(QLatin1String("s3://"))) {
        QTextStream(stderr) << "deso-media --serve: --storage needs dir:PATH or s3://BUCKET[/PREFIX].\n";
        return 2;
    }
    if (!serve.s3Endpoint.isEmpty() && !isHttpUrl(serve.s3Endpoint)) {
        QTextStream(stderr) << "deso-media --serve: --s3-endpoint needs an http:// or https:// URL.\n";
        return 2;
    }
    if (!serve.publicBaseUrl.isEmpty() && !isHttpUrl(serve.publicBaseUrl)) {
        QTextStream(stderr) << "deso-media --serve: --public-base-url needs an http:// or https:// URL.\n";
        return 2;
    }
    return runServe(serve);
}

// "2026-12-02T04:55:32.390Z GET /path 200 1234B 0ms\n", written by hand into `out`:
// QDateTime::toString, and then a QTextStream per field, took more time per request
// than answering it. The date and time up to the second are formatted once a second.
static void appendLogLine(QByteArray &out, const deso::host::RequestLogEntry &e)
{
    static qint64 cachedSecond = -1;
    static char secondText[64];
    const qint64 ms = e.at.toMSecsSinceEpoch();
    if (ms / 1000 != cachedSecond) {
        cachedSecond = ms / 1000;
        const time_t seconds = time_t(cachedSecond);
        struct tm parts {};
        gmtime_r(&seconds, &parts);
        std::snprintf(secondText, sizeof secondText, "%04d-%02d-%02dT%02d:%02d:%02d.", parts.tm_year + 1900,
                      parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec);
    }
    char line[96];
    char *at = line;
    const auto number = [&at, &line](qint64 value, int minDigits) {
        char digits[24];
        char *end = std::to_chars(digits, digits + sizeof digits, value).ptr;
        for (qsizetype pad = minDigits - (end - digits); pad > 0; --pad)
            *at++ = '0';
        std::memcpy(at, digits, size_t(end - digits));
        at += end - digits;
        Q_ASSERT(at < line + sizeof line);
    };
    const qsizetype secondLength = qsizetype(std::strlen(secondText));
    std::memcpy(at, secondText, size_t(secondLength));
    at += secondLength;
    number(ms % 1000, 3);
    *at++ = 'Z';
    *at++ = ' ';
    out.append(line, at - line);
    out.append(e.method.toUtf8()).append(' ').append(e.path.toUtf8());
    at = line;
    *at++ = ' ';
    number(e.status, 0);
    *at++ = ' ';
    number(e.bytes, 0);
    *at++ = 'B';
    *at++ = ' ';
    number(e.durationMs, 0);
    std::memcpy(at, "ms\n", 3);
    at += 3;
    out.append(line, at - line);
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
    config.httpLimits = options.limits;
    config.allowedOrigins = options.allowedOrigins;
    config.allowedHosts = options.allowedHosts;
    config.maxStorageBytes = options.maxStorageBytes;
    config.maxUnfinishedUploadsPerClient = options.maxUnfinishedUploads;
    config.storage = options.storage;
    if (options.storage.startsWith(QLatin1String("dir:")))
        config.dataDir = options.storage.mid(4);
    config.s3Endpoint = QUrl(options.s3Endpoint);
    config.s3Region = options.s3Region;
    config.publicBaseUrl = QUrl(options.publicBaseUrl);

    deso::host::EndpointHost host;
    // One write per burst of requests, not per line: entries come in batches,
    // and the flush runs once the batch is written.
    // Lines are put together as bytes (a QTextStream per field cost more than the
    // request it logs) and written with the rest of the batch.
    QByteArray pendingLines;
    QObject::connect(&host, &deso::host::EndpointHost::requestLogged, &host,
                     [&out, &host, &pendingLines](const deso::host::RequestLogEntry &e) {
                         const bool flushQueued = !pendingLines.isEmpty();
                         appendLogLine(pendingLines, e);
                         if (!flushQueued) {
                             QTimer::singleShot(0, &host, [&out, &pendingLines] {
                                 out.flush(); // what was written through the stream comes first
                                 std::fwrite(pendingLines.constData(), 1, size_t(pendingLines.size()), stdout);
                                 std::fflush(stdout);
                                 pendingLines.clear();
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

    out << "deso-media --serve: listening on " << host.baseUrl().toString() << " (data in " << host.storageDescription() << ")\n";
    const deso::host::HttpLimits &l = config.httpLimits;
    out << "deso-media --serve: head timeout " << l.headTimeoutMs / 1000 << " s, body stall " << l.bodyStallTimeoutMs / 1000
        << " s, send stall " << l.sendStallTimeoutMs / 1000 << " s, keep-alive " << l.keepAliveIdleMs / 1000
        << " s, at most " << l.maxConnections << " connections\n";
    out.flush();
    const int code = QCoreApplication::exec();
    host.stop();
    ::close(g_signalPipe[0]);
    ::close(g_signalPipe[1]);
    return code;
}
