// request_rate_bench: how many small requests per second the local endpoint host
// answers over kept-alive connections, and how long they wait. Starts a real
// `deso-media --serve`, creates one tus upload, then for each row (endpoint x
// connection count) keeps N connections busy for the row's duration with one
// request in flight per connection (pipelining depth 1) and prints req/s, p50,
// p99 and max latency and the errors seen. With Node/npm present it also runs
// autocannon (installed into the build tree, never globally) on the same rows and
// prints its figures beside ours as a reference. A benchmark prints; it asserts
// no times.
//
// Rows: GET /api/v0/get-video-status/<id> and tus HEAD /tus/<token>, at 16 and 64
// connections. Target (issue 18): >= 20,000 req/s and p99 <= 20 ms at 64
// connections with 0 errors, on a 2-core machine.
//
// Usage: request_rate_bench [--seconds S] [--connections 16,64] [--threads T]
//                           [--no-autocannon] [--verbose]
//   DESO_BENCH_SECONDS sets the default of --seconds (10). --threads: client
//   event-loop threads (default 1). --verbose echoes the host's request log.
//
// Latency is measured from the moment a request is due (including a reconnect
// when the server closed the previous connection) to the last byte of its answer.
// Errors: "connect" (connection refused or failed), "reset" (the connection
// closed or reset before a whole answer came), "timeout" (no answer in 5 s),
// "non-2xx". "closes" counts answers after which the server closed a connection
// the client wanted to keep (Connection: close): no error by itself, but each
// one costs a new TCP connection.

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QEventLoop>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSocketNotifier>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTextStream>
#include <QThread>
#include <QTimer>
#include <QUrl>

#include <algorithm>
#include <csignal>
#include <memory>
#include <vector>

#include <arpa/inet.h>
#include <cerrno>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

namespace {

QTextStream out(stdout);

constexpr qint64 kAnswerTimeoutNs = 5LL * 1000 * 1000 * 1000;

qint64 nowNs()
{
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return qint64(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

struct RowStats {
    std::vector<quint32> latencyUs;
    qint64 answered = 0;
    qint64 non2xx = 0;
    qint64 connectErrors = 0;
    qint64 resets = 0;
    qint64 timeouts = 0;
    qint64 closes = 0;

    void add(const RowStats &o)
    {
        latencyUs.insert(latencyUs.end(), o.latencyUs.begin(), o.latencyUs.end());
        answered += o.answered;
        non2xx += o.non2xx;
        connectErrors += o.connectErrors;
        resets += o.resets;
        timeouts += o.timeouts;
        closes += o.closes;
    }
    qint64 errors() const { return non2xx + connectErrors + resets + timeouts; }
};

// Looks for a header in an answer's head, case-insensitively; null when absent.
QByteArray headerValue(const QByteArray &head, const char *lowerName)
{
    const qsizetype nameLen = qsizetype(qstrlen(lowerName));
    qsizetype pos = head.indexOf("\r\n");
    while (pos >= 0 && pos + 2 < head.size()) {
        const qsizetype start = pos + 2;
        qsizetype end = head.indexOf("\r\n", start);
        if (end < 0)
            end = head.size();
        if (end - start > nameLen && head.at(start + nameLen) == ':'
            && qstrnicmp(head.constData() + start, lowerName, size_t(nameLen)) == 0)
            return head.mid(start + nameLen + 1, end - start - nameLen - 1).trimmed();
        pos = end;
    }
    return {};
}

// Keeps `connections` loopback connections busy with one request each, on the
// event loop of the thread it lives in (non-blocking sockets, QSocketNotifier).
class LoadWorker : public QObject {
    Q_OBJECT
public:
    LoadWorker(quint16 port, QByteArray request, bool headRequest, int connections, qint64 durationMs)
        : m_port(port), m_request(std::move(request)), m_head(headRequest), m_count(connections), m_durationMs(durationMs)
    {
    }

    ~LoadWorker() override
    {
        for (auto &c : m_conns)
            closeConn(*c);
    }

    RowStats stats;

public slots:
    void run()
    {
        stats.latencyUs.reserve(size_t(m_durationMs) * 60);
        m_stopAtNs = nowNs() + m_durationMs * 1000000LL;
        for (int i = 0; i < m_count; ++i) {
            m_conns.push_back(std::make_unique<Conn>());
            beginRequest(*m_conns.back());
        }
        auto *stop = new QTimer(this);
        stop->setSingleShot(true);
        connect(stop, &QTimer::timeout, this, [this] { finish(); });
        stop->start(int(m_durationMs));
        auto *watchdog = new QTimer(this);
        connect(watchdog, &QTimer::timeout, this, [this] {
            const qint64 now = nowNs();
            for (auto &c : m_conns) {
                if (c->busy && now - c->startNs > kAnswerTimeoutNs) {
                    ++stats.timeouts;
                    closeConn(*c);
                    beginRequest(*c);
                }
            }
        });
        watchdog->start(250);
    }

signals:
    void finished();

private:
    struct Conn {
        int fd = -1;
        QSocketNotifier *readable = nullptr;
        QSocketNotifier *writable = nullptr;
        bool connecting = false;
        bool busy = false; // a request is due or in flight
        qint64 startNs = 0;
        qsizetype sent = 0;
        QByteArray in;
    };

    void finish()
    {
        if (m_stopped)
            return;
        m_stopped = true;
        for (auto &c : m_conns)
            closeConn(*c);
        emit finished();
    }

    void closeConn(Conn &c)
    {
        delete c.readable;
        delete c.writable;
        c.readable = c.writable = nullptr;
        if (c.fd >= 0)
            ::close(c.fd);
        c.fd = -1;
        c.connecting = false;
        c.in.clear();
    }

    // The next request on this connection (opening one first when needed).
    void beginRequest(Conn &c)
    {
        if (m_stopped)
            return;
        c.busy = true;
        c.startNs = nowNs();
        c.sent = 0;
        if (c.fd < 0 && !openConn(c))
            return;
        if (!c.connecting)
            writeRequest(c);
    }

    bool openConn(Conn &c)
    {
        c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        const int one = 1;
        ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(m_port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        const int r = ::connect(c.fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr);
        if (r != 0 && errno != EINPROGRESS) {
            connectFailed(c);
            return false;
        }
        c.readable = new QSocketNotifier(c.fd, QSocketNotifier::Read, this);
        c.writable = new QSocketNotifier(c.fd, QSocketNotifier::Write, this);
        Conn *cp = &c;
        connect(c.readable, &QSocketNotifier::activated, this, [this, cp] { onReadable(*cp); });
        connect(c.writable, &QSocketNotifier::activated, this, [this, cp] { onWritable(*cp); });
        c.connecting = r != 0;
        c.writable->setEnabled(c.connecting);
        return true;
    }

    void connectFailed(Conn &c)
    {
        ++stats.connectErrors;
        closeConn(c);
        // Try again shortly rather than spin on a refusing port.
        Conn *cp = &c;
        QTimer::singleShot(1, this, [this, cp] { beginRequest(*cp); });
    }

    void onWritable(Conn &c)
    {
        if (c.connecting) {
            int err = 0;
            socklen_t len = sizeof err;
            ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
            if (err != 0) {
                connectFailed(c);
                return;
            }
            c.connecting = false;
        }
        writeRequest(c);
    }

    void writeRequest(Conn &c)
    {
        while (c.sent < m_request.size()) {
            const ssize_t n = ::send(c.fd, m_request.constData() + c.sent, size_t(m_request.size() - c.sent), MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    c.writable->setEnabled(true);
                    return;
                }
                if (errno == EINTR)
                    continue;
                lost(c); // the server dropped a kept-alive connection under us
                return;
            }
            c.sent += n;
        }
        c.writable->setEnabled(false);
    }

    // The connection ended before a whole answer came.
    void lost(Conn &c)
    {
        ++stats.resets;
        closeConn(c);
        beginRequest(c);
    }

    void onReadable(Conn &c)
    {
        char buf[16384];
        for (;;) {
            const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
            if (n > 0) {
                c.in.append(buf, n);
                if (n < ssize_t(sizeof buf))
                    break;
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                break;
            if (n < 0 && errno == EINTR)
                continue;
            // EOF or error while a request is due: the server closed a connection it
            // had not said it would close (no Connection: close), or reset it.
            lost(c);
            return;
        }
        while (c.busy) {
            const qsizetype headEnd = c.in.indexOf("\r\n\r\n");
            if (headEnd < 0)
                return;
            const QByteArray head = c.in.left(headEnd);
            const int status = head.mid(9, 3).toInt();
            qint64 length = 0;
            if (!m_head && status != 204 && status != 304)
                length = headerValue(head, "content-length").toLongLong();
            if (c.in.size() < headEnd + 4 + length)
                return;
            c.in.remove(0, headEnd + 4 + length);
            if (status == 100)
                continue;
            const qint64 doneNs = nowNs();
            if (doneNs <= m_stopAtNs) {
                ++stats.answered;
                stats.latencyUs.push_back(quint32(qMin<qint64>((doneNs - c.startNs) / 1000, 0xffffffffLL)));
                if (status < 200 || status > 299)
                    ++stats.non2xx;
            }
            c.busy = false;
            if (headerValue(head, "connection").toLower().contains("close")) {
                if (doneNs <= m_stopAtNs)
                    ++stats.closes;
                closeConn(c);
            }
            beginRequest(c);
            return; // depth 1: nothing else is in flight on this connection
        }
    }

    quint16 m_port;
    QByteArray m_request;
    bool m_head;
    int m_count;
    qint64 m_durationMs;
    qint64 m_stopAtNs = 0;
    bool m_stopped = false;
    std::vector<std::unique_ptr<Conn>> m_conns;
};

double percentileMs(const std::vector<quint32> &sorted, double p)
{
    if (sorted.empty())
        return 0;
    const size_t i = std::min(sorted.size() - 1, size_t(double(sorted.size()) * p));
    return sorted[i] / 1000.0;
}

// CPU seconds (user + system) a process has used, from /proc/<pid>/stat; -1 if unreadable.
double processCpuSeconds(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray stat = f.readAll();
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const QList<QByteArray> fields = stat.mid(stat.lastIndexOf(')') + 2).split(' ');
    const double ticks = double(::sysconf(_SC_CLK_TCK));
    return (fields.value(11).toDouble() + fields.value(12).toDouble()) / ticks; // utime, stime
}

QByteArray loadAverage()
{
    QFile f(QStringLiteral("/proc/loadavg"));
    return f.open(QIODevice::ReadOnly) ? f.readAll().split(' ').mid(0, 3).join(' ') : QByteArray("?");
}

// Blocking one-shot request on a fresh connection (setup only).
QByteArray blockingExchange(quint16 port, const QByteArray &request)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    QByteArray answer;
    if (::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0
        && ::send(fd, request.constData(), size_t(request.size()), MSG_NOSIGNAL) == request.size()) {
        timeval tv{10, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        char buf[4096];
        while (!answer.contains("\r\n\r\n")) {
            const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0)
                break;
            answer.append(buf, n);
        }
    }
    ::close(fd);
    return answer;
}

// autocannon from the build tree's npm folder, installed there on first use.
QString autocannonPath(QString *why)
{
    const QString dir = QStringLiteral(DESO_BENCH_NPM_DIR);
    const QString bin = dir + QStringLiteral("/node_modules/.bin/autocannon");
    if (QFileInfo::exists(bin))
        return bin;
    const QString npm = QStandardPaths::findExecutable(QStringLiteral("npm"));
    if (npm.isEmpty() || QStandardPaths::findExecutable(QStringLiteral("node")).isEmpty()) {
        *why = QStringLiteral("node/npm not found");
        return {};
    }
    QDir().mkpath(dir);
    out << "request_rate_bench: installing autocannon into " << dir << " (npm install --prefix, once)\n";
    out.flush();
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(npm, {QStringLiteral("install"), QStringLiteral("--prefix"), dir, QStringLiteral("--no-audit"),
                  QStringLiteral("--no-fund"), QStringLiteral("--loglevel=error"), QStringLiteral("autocannon")});
    if (!p.waitForFinished(300000) || p.exitCode() != 0 || !QFileInfo::exists(bin)) {
        p.kill();
        *why = QStringLiteral("npm could not install autocannon: %1")
                   .arg(QString::fromUtf8(p.readAll()).simplified().left(200));
        return {};
    }
    return bin;
}

// One autocannon run; its figures as a short string.
QString runAutocannon(const QString &bin, const QUrl &url, bool head, int connections, qint64 durationMs)
{
    QStringList args{QStringLiteral("-j"), QStringLiteral("-c"), QString::number(connections), QStringLiteral("-d"),
                     QString::number(qMax<qint64>(1, durationMs / 1000))};
    if (head)
        args << QStringLiteral("-m") << QStringLiteral("HEAD") << QStringLiteral("-H") << QStringLiteral("Tus-Resumable=1.0.0");
    args << url.toString();
    QProcess p;
    p.start(bin, args);
    QEventLoop loop;
    QObject::connect(&p, &QProcess::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(int(durationMs) + 60000, &loop, &QEventLoop::quit);
    if (p.state() != QProcess::NotRunning)
        loop.exec();
    if (p.state() != QProcess::NotRunning) {
        p.kill();
        p.waitForFinished();
        return QStringLiteral("autocannon did not finish");
    }
    const QJsonObject o = QJsonDocument::fromJson(p.readAllStandardOutput()).object();
    if (o.isEmpty())
        return QStringLiteral("autocannon failed: %1").arg(QString::fromUtf8(p.readAllStandardError()).simplified().left(160));
    const QJsonObject lat = o.value(QStringLiteral("latency")).toObject();
    const qint64 errors = o.value(QStringLiteral("errors")).toInteger() + o.value(QStringLiteral("timeouts")).toInteger()
        + o.value(QStringLiteral("non2xx")).toInteger();
    return QStringLiteral("%1 req/s  p50 %2  p99 %3  max %4 ms  errors %5 (conn %6, timeouts %7, non-2xx %8)")
        .arg(o.value(QStringLiteral("requests")).toObject().value(QStringLiteral("average")).toDouble(), 8, 'f', 0)
        .arg(lat.value(QStringLiteral("p50")).toDouble(), 0, 'f', 2)
        .arg(lat.value(QStringLiteral("p99")).toDouble(), 0, 'f', 2)
        .arg(lat.value(QStringLiteral("max")).toDouble(), 0, 'f', 1)
        .arg(errors)
        .arg(o.value(QStringLiteral("errors")).toInteger())
        .arg(o.value(QStringLiteral("timeouts")).toInteger())
        .arg(o.value(QStringLiteral("non2xx")).toInteger());
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    qint64 seconds = qEnvironmentVariableIsSet("DESO_BENCH_SECONDS") ? qEnvironmentVariableIntValue("DESO_BENCH_SECONDS") : 10;
    QList<int> connectionCounts{16, 64};
    int threads = 1;
    for (int i = 1; i + 1 < args.size(); ++i) {
        if (args[i] == QLatin1String("--seconds"))
            seconds = args[i + 1].toLongLong();
        if (args[i] == QLatin1String("--threads"))
            threads = qMax(1, args[i + 1].toInt());
        if (args[i] == QLatin1String("--connections")) {
            connectionCounts.clear();
            for (const QString &n : args[i + 1].split(QLatin1Char(','), Qt::SkipEmptyParts))
                connectionCounts << qMax(1, n.toInt());
        }
    }
    seconds = qMax<qint64>(1, seconds);
    const bool verbose = args.contains(QStringLiteral("--verbose"));
    const bool withAutocannon = !args.contains(QStringLiteral("--no-autocannon"));

    QTemporaryDir dir;
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
        out << "request_rate_bench: the host did not start\n" << hostOut;
        return 1;
    }
    // The host logs one line per request: drain it so its pipe never fills.
    QObject::connect(&host, &QProcess::readyReadStandardOutput, [&] {
        const QByteArray lines = host.readAllStandardOutput();
        if (verbose)
            out << lines;
    });
    const quint16 port = quint16(base.port());
    const QByteArray authority = "127.0.0.1:" + QByteArray::number(port);

    // One upload to ask about: its id for get-video-status, its token for tus HEAD.
    const QByteArray created = blockingExchange(port, "POST /api/v0/upload-video HTTP/1.1\r\nHost: " + authority
                                                          + "\r\nTus-Resumable: 1.0.0\r\nUpload-Length: 1000\r\nContent-Length: 0\r\n\r\n");
    const QByteArray location = headerValue(created, "location");
    const QByteArray id = headerValue(created, "stream-media-id");
    const QByteArray tusPath = QUrl(QString::fromLatin1(location)).path().toLatin1();
    if (!created.startsWith("HTTP/1.1 200") || id.isEmpty() || !tusPath.startsWith("/tus/")) {
        out << "request_rate_bench: the host did not create an upload: " << created.left(300) << '\n';
        ::kill(pid_t(host.processId()), SIGTERM);
        host.waitForFinished(10000);
        return 1;
    }

    struct Endpoint {
        QString name;
        QByteArray path;
        bool head;
        QByteArray request;
    };
    const QList<Endpoint> endpoints{
        {QStringLiteral("GET get-video-status"), "/api/v0/get-video-status/" + id, false,
         "GET /api/v0/get-video-status/" + id + " HTTP/1.1\r\nHost: " + authority + "\r\n\r\n"},
        {QStringLiteral("HEAD /tus/<token>"), tusPath, true,
         "HEAD " + tusPath + " HTTP/1.1\r\nHost: " + authority + "\r\nTus-Resumable: 1.0.0\r\n\r\n"},
    };

    QString autocannon, autocannonWhy;
    if (withAutocannon)
        autocannon = autocannonPath(&autocannonWhy);
    else
        autocannonWhy = QStringLiteral("--no-autocannon");

    out << "request_rate_bench: deso-media --serve at " << base.toString() << ", " << seconds << " s per row, keep-alive, "
        << "pipelining depth 1, " << threads << " client thread(s)\n";
    out << "  target at 64 connections: >= 20000 req/s, p99 <= 20 ms, 0 errors; " << QThread::idealThreadCount()
        << " CPUs, load average " << loadAverage() << " at the start\n";
    out << "  cpu: CPU time per wall second used by the host process / by this client (1.00 = one core)\n";
    if (autocannon.isEmpty())
        out << "  autocannon reference: skipped (" << autocannonWhy << ")\n";
    out << QStringLiteral("  %1 %2 %3 %4 %5 %6 %7  %8\n")
               .arg(QStringLiteral("endpoint"), -22).arg(QStringLiteral("conns"), 5).arg(QStringLiteral("req/s"), 8)
               .arg(QStringLiteral("p50 ms"), 7).arg(QStringLiteral("p99 ms"), 8).arg(QStringLiteral("max ms"), 8)
               .arg(QStringLiteral("errors"), 7).arg(QStringLiteral("(connect/reset/timeout/non-2xx; server closes; cpu host/client)"));
    out.flush();

    for (const Endpoint &e : endpoints) {
        for (const int connections : connectionCounts) {
            // Run the workers; collect their stats before they are deleted.
            std::vector<std::unique_ptr<QThread>> loops;
            std::vector<LoadWorker *> workers;
            int running = 0;
            QEventLoop wait;
            const double hostCpuBefore = processCpuSeconds(host.processId());
            const double selfCpuBefore = processCpuSeconds(QCoreApplication::applicationPid());
            QElapsedTimer clock;
            clock.start();
            for (int t = 0; t < threads; ++t) {
                const int share = connections / threads + (t < connections % threads ? 1 : 0);
                if (share == 0)
                    continue;
                auto thread = std::make_unique<QThread>();
                auto *worker = new LoadWorker(port, e.request, e.head, share, seconds * 1000);
                worker->moveToThread(thread.get());
                QObject::connect(worker, &LoadWorker::finished, &wait, [&] {
                    if (--running == 0)
                        wait.quit();
                }, Qt::QueuedConnection);
                thread->start();
                ++running;
                QMetaObject::invokeMethod(worker, &LoadWorker::run, Qt::QueuedConnection);
                workers.push_back(worker);
                loops.push_back(std::move(thread));
            }
            wait.exec();
            const double elapsed = clock.elapsed() / 1000.0;
            const double hostCpu = (processCpuSeconds(host.processId()) - hostCpuBefore) / elapsed;
            const double selfCpu = (processCpuSeconds(QCoreApplication::applicationPid()) - selfCpuBefore) / elapsed;
            RowStats total;
            for (size_t i = 0; i < workers.size(); ++i) {
                QMetaObject::invokeMethod(workers[i], [&total, w = workers[i]] {
                    total.add(w->stats);
                    delete w; // sockets close on their own thread
                }, Qt::BlockingQueuedConnection);
                loops[i]->quit();
                loops[i]->wait();
            }
            std::sort(total.latencyUs.begin(), total.latencyUs.end());
            out << QStringLiteral("  %1 %2 %3 %4 %5 %6 %7  (%8/%9/%10/%11; %12; %13/%14)\n")
                       .arg(e.name, -22).arg(connections, 5).arg(total.answered / elapsed, 8, 'f', 0)
                       .arg(percentileMs(total.latencyUs, 0.50), 7, 'f', 2).arg(percentileMs(total.latencyUs, 0.99), 8, 'f', 2)
                       .arg(total.latencyUs.empty() ? 0.0 : total.latencyUs.back() / 1000.0, 8, 'f', 1)
                       .arg(total.errors(), 7).arg(total.connectErrors).arg(total.resets).arg(total.timeouts)
                       .arg(total.non2xx).arg(total.closes).arg(hostCpu, 0, 'f', 2).arg(selfCpu, 0, 'f', 2);
            out.flush();
            if (!autocannon.isEmpty()) {
                out << QStringLiteral("  %1 %2 autocannon: %3\n")
                           .arg(QString(), -22).arg(connections, 5)
                           .arg(runAutocannon(autocannon, base.resolved(QUrl(QString::fromLatin1(e.path))), e.head, connections,
                                              seconds * 1000));
                out.flush();
            }
        }
    }

    out << "  load average at the end: " << loadAverage() << '\n';
    ::kill(pid_t(host.processId()), SIGTERM);
    host.waitForFinished(10000);
    return 0;
}

#include "request_rate_bench.moc"
