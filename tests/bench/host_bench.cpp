// host_bench: how fast and how lean the local endpoint host takes a video.
// Starts a real `deso-media --serve`, uploads the same bytes twice over
// loopback — as a tus client does (creation + 8 MiB PATCH chunks) and as a
// single raw `curl` PATCH, each twice, best time kept — and prints MB/s for both, their ratio, and the
// host process's resident memory (baseline, peak) from /proc. A third run
// through QNetworkAccessManager is printed for reference (--no-qnam skips it).
//
// Usage: host_bench [--mib N] [--chunk-mib N] [--verbose]   (defaults: 250 and 8;
// --verbose echoes the host's request log)

#include "testfiles.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTextStream>
#include <QTimer>

#include <csignal>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

QTextStream out(stdout);

// /proc/<pid>/status field in KiB, as this bench prints them.
qint64 procKiB(qint64 pid, const char *field)
{
    return testcommon::procStatusBytes(pid, field) / 1024;
}

struct Reply {
    int status = 0;
    QByteArray location;
    QByteArray body;
};

Reply send(QNetworkAccessManager &nam, const QByteArray &method, const QUrl &url,
           const QList<QPair<QByteArray, QByteArray>> &headers, const QByteArray &body)
{
    QNetworkRequest request(url);
    for (const auto &h : headers)
        request.setRawHeader(h.first, h.second);
    QNetworkReply *reply = nam.sendCustomRequest(request, method, body);
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    loop.exec();
    Reply r{reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), reply->rawHeader("Location"), reply->readAll()};
    reply->deleteLater();
    return r;
}

QUrl create(QNetworkAccessManager &nam, const QUrl &base, qint64 length)
{
    const Reply r = send(nam, "POST", base.resolved(QUrl(QStringLiteral("/api/v0/upload-video"))),
                         {{"Upload-Length", QByteArray::number(length)}, {"Tus-Resumable", "1.0.0"}}, {});
    return r.status == 200 ? QUrl(QString::fromLatin1(r.location)) : QUrl();
}

// A plain tus client on a blocking socket: one kept-alive connection, each
// chunk sent as a PATCH read piecewise from the file (like curl does), so the
// numbers measure the host rather than a client library.
double rawTusUpload(const QUrl &location, const QString &source, qint64 total, qint64 chunk, QByteArray *error)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(quint16(location.port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) {
        *error = "connect failed";
        return -1;
    }
    QFile in(source);
    in.open(QIODevice::ReadOnly);
    std::vector<char> buf(1024 * 1024);
    QElapsedTimer clock;
    clock.start();
    for (qint64 offset = 0; offset < total;) {
        const qint64 n = qMin(chunk, total - offset);
        const QByteArray head = "PATCH " + location.path().toLatin1() + " HTTP/1.1\r\nHost: " + location.authority().toLatin1()
            + "\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: " + QByteArray::number(offset)
            + "\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: " + QByteArray::number(n) + "\r\n\r\n";
        if (::send(fd, head.constData(), size_t(head.size()), MSG_NOSIGNAL) != head.size()) {
            *error = "send failed";
            return -1;
        }
        for (qint64 sent = 0; sent < n;) {
            const qint64 want = qMin<qint64>(qint64(buf.size()), n - sent);
            const qint64 got = in.read(buf.data(), want);
            for (qint64 w = 0; w < got;) {
                const ssize_t k = ::send(fd, buf.data() + w, size_t(got - w), MSG_NOSIGNAL);
                if (k <= 0) {
                    *error = "send failed";
                    return -1;
                }
                w += k;
            }
            sent += got;
        }
        QByteArray response;
        while (!response.contains("\r\n\r\n")) {
            char tmp[4096];
            const ssize_t k = ::recv(fd, tmp, sizeof tmp, 0);
            if (k <= 0) {
                *error = "connection closed";
                return -1;
            }
            response.append(tmp, k);
        }
        if (!response.startsWith("HTTP/1.1 204")) {
            *error = response.left(200);
            return -1;
        }
        offset += n;
    }
    const double seconds = clock.elapsed() / 1000.0;
    ::close(fd);
    return seconds;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    // 250 MiB: the largest video the node (and this host) accepts; 256 MiB would
    // be refused at creation with "Files must be less than 250MB".
    qint64 mib = 250, chunkMib = 8;
    const QStringList args = app.arguments();
    for (int i = 1; i + 1 < args.size(); ++i) {
        if (args[i] == QLatin1String("--mib")) mib = args[i + 1].toLongLong();
        if (args[i] == QLatin1String("--chunk-mib")) chunkMib = args[i + 1].toLongLong();
    }
    const qint64 total = mib * 1024 * 1024;
    const qint64 chunk = chunkMib * 1024 * 1024;

    QTemporaryDir dir;
    const QString source = dir.filePath(QStringLiteral("source.bin"));
    if (!testcommon::writeRandomFile(source, total, 1)) {
        QTextStream(stderr) << "host_bench: cannot write " << source << Qt::endl;
        return 1;
    }
    if (QFile f(source); f.open(QIODevice::ReadOnly))
        ::fsync(f.handle()); // the source is on disk before timing starts

    QProcess host;
    host.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    host.start(QStringLiteral(DESO_MEDIA_BIN), {QStringLiteral("--serve"), QStringLiteral("--port"), QStringLiteral("0"),
                                                QStringLiteral("--data-dir"), dir.filePath(QStringLiteral("host"))});
    host.waitForStarted();
    QByteArray hostOut;
    QUrl base;
    static const QRegularExpression re(QStringLiteral("listening on (http://[^ ]+) "));
    for (int i = 0; i < 100 && !base.isValid(); ++i) {
        host.waitForReadyRead(100);
        hostOut += host.readAllStandardOutput();
        const auto m = re.match(QString::fromUtf8(hostOut));
        if (m.hasMatch())
            base = QUrl(m.captured(1));
    }
    if (!base.isValid()) {
        out << "host_bench: the host did not start\n" << hostOut;
        return 1;
    }
    // The host prints one log line per request; drain it so its pipe never fills.
    const bool verbose = args.contains(QStringLiteral("--verbose"));
    QObject::connect(&host, &QProcess::readyReadStandardOutput, [&] {
        const QByteArray lines = host.readAllStandardOutput();
        if (verbose)
            out << lines;
    });
    const qint64 pid = host.processId();
    const qint64 baselineKiB = procKiB(pid, "VmRSS");

    // tus: creation, then 8 MiB PATCHes on one kept-alive connection.
    QNetworkAccessManager nam;
    auto runTus = [&]() -> double {
        const QUrl tusUrl = create(nam, base, total);
        if (!tusUrl.isValid()) {
            out << "host_bench: the host refused to create a " << total << "-byte upload\n";
            return -1;
        }
        QByteArray error;
        const double seconds = rawTusUpload(tusUrl, source, total, chunk, &error);
        if (seconds < 0)
            out << "host_bench: tus upload failed: " << error << '\n';
        return seconds;
    };
    // curl: the same bytes in one PATCH, streamed from the file (-T).
    auto runCurl = [&]() -> double {
        const QUrl curlUrl = create(nam, base, total);
        QProcess curl;
        QElapsedTimer clock;
        clock.start();
        curl.start(QStringLiteral("curl"), {QStringLiteral("-sS"), QStringLiteral("-o"), QStringLiteral("/dev/null"),
                                            QStringLiteral("-w"), QStringLiteral("%{http_code}"), QStringLiteral("-X"),
                                            QStringLiteral("PATCH"), QStringLiteral("-T"), source, QStringLiteral("-H"),
                                            QStringLiteral("Tus-Resumable: 1.0.0"), QStringLiteral("-H"),
                                            QStringLiteral("Upload-Offset: 0"), QStringLiteral("-H"),
                                            QStringLiteral("Content-Type: application/offset+octet-stream"),
                                            curlUrl.toString()});
        // Wait in an event loop: the host's log pipe must keep draining meanwhile.
        QEventLoop loop;
        QObject::connect(&curl, &QProcess::finished, &loop, &QEventLoop::quit);
        loop.exec();
        const double seconds = clock.elapsed() / 1000.0;
        const QByteArray curlStatus = curl.readAllStandardOutput();
        if (curlStatus != "204") {
            out << "host_bench: curl PATCH answered " << curlStatus << ' ' << curl.readAllStandardError() << '\n';
            return -1;
        }
        return seconds;
    };
    // Each method runs twice, in the order tus, curl, curl, tus, and keeps its
    // best time; ::sync() before each run flushes the previous run's writeback so
    // no run pays for another's dirty pages.
    double tusSeconds = 1e9, curlSeconds = 1e9;
    qint64 peakAfterTusKiB = 0;
    int uploads = 0;
    for (int round = 0; round < 4; ++round) {
        ::sync();
        const bool tus = round == 0 || round == 3;
        const double t = tus ? runTus() : runCurl();
        if (t < 0) {
            ::kill(pid_t(pid), SIGTERM);
            host.waitForFinished(10000);
            return 1;
        }
        ++uploads;
        if (tus) {
            tusSeconds = qMin(tusSeconds, t);
            if (round == 0)
                peakAfterTusKiB = procKiB(pid, "VmHWM");
        } else {
            curlSeconds = qMin(curlSeconds, t);
        }
    }
    const qint64 peakKiB = procKiB(pid, "VmHWM");

    // 3. For reference: the same chunks through QNetworkAccessManager (what the
    // app's own client uses); its upload path, not the host, sets this pace.
    double namSeconds = -1;
    if (!args.contains(QStringLiteral("--no-qnam"))) {
        const QUrl namUrl = create(nam, base, total);
        QFile in(source);
        in.open(QIODevice::ReadOnly);
        ::sync();
        QElapsedTimer clock;
        clock.start();
        for (qint64 offset = 0; offset < total;) {
            const QByteArray piece = in.read(chunk);
            const Reply r = send(nam, "PATCH", namUrl,
                                 {{"Tus-Resumable", "1.0.0"}, {"Upload-Offset", QByteArray::number(offset)},
                                  {"Content-Type", "application/offset+octet-stream"}},
                                 piece);
            if (r.status != 204) {
                out << "host_bench: QNAM PATCH at " << offset << " answered " << r.status << ' ' << r.body << '\n';
                return 1;
            }
            offset += piece.size();
        }
        namSeconds = clock.elapsed() / 1000.0;
    }

    const bool same = [&] {
        const QString a = dir.filePath(QStringLiteral("host/uploads"));
        QFile s(source);
        s.open(QIODevice::ReadOnly);
        const QByteArray head = s.read(4096);
        int matches = 0;
        for (const QString &sub : QDir(a).entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
            QFile d(a + QLatin1Char('/') + sub + QStringLiteral("/data"));
            if (d.open(QIODevice::ReadOnly) && d.size() == total && d.read(4096) == head)
                ++matches;
        }
        return matches == uploads + (namSeconds < 0 ? 0 : 1);
    }();

    ::kill(pid_t(pid), SIGTERM);
    host.waitForFinished(10000);

    const double tusMBs = total / 1e6 / tusSeconds;
    const double curlMBs = total / 1e6 / curlSeconds;
    out << "host_bench: " << mib << " MiB over loopback to deso-media --serve\n";
    out << QStringLiteral("  tus, %1 MiB chunks : %2 MB/s (%3 s)\n").arg(chunkMib).arg(tusMBs, 0, 'f', 1).arg(tusSeconds, 0, 'f', 2);
    out << QStringLiteral("  curl, one PATCH    : %1 MB/s (%2 s)\n").arg(curlMBs, 0, 'f', 1).arg(curlSeconds, 0, 'f', 2);
    out << QStringLiteral("  ratio tus/curl     : %1 (target >= 0.9)\n").arg(tusMBs / curlMBs, 0, 'f', 2);
    if (namSeconds > 0)
        out << QStringLiteral("  (reference) tus via QNetworkAccessManager: %1 MB/s\n").arg(total / 1e6 / namSeconds, 0, 'f', 1);
    out << QStringLiteral("  host RSS           : baseline %1 MiB, peak %2 MiB after the first tus upload, %3 MiB at the end; growth %4 MiB "
                          "(bound 2 x chunk = %5 MiB)\n")
               .arg(baselineKiB / 1024.0, 0, 'f', 1).arg(peakAfterTusKiB / 1024.0, 0, 'f', 1).arg(peakKiB / 1024.0, 0, 'f', 1)
               .arg((peakKiB - baselineKiB) / 1024.0, 0, 'f', 1).arg(2 * chunkMib);
    out << "  stored files complete: " << (same ? "yes" : "NO") << '\n';
    return same ? 0 : 1;
}
