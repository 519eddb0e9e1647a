// Soak (issue 17, label "soak", not part of `./dev.sh test`): a `deso-media
// --serve` process with its default limits serves 64 well-behaved kept-alive
// connections (get-video-status, tus HEAD and PATCH, mixed) for 60 s while
// 1,000 slow clients hold connections by dribbling request heads (reconnecting
// when the host times them out). The well-behaved clients must see no error;
// latency percentiles, the host's RSS and its open files before/after are
// printed. DESO_SOAK_SECONDS shortens or lengthens the run.
//
// Run: cd build && QT_QPA_PLATFORM=offscreen ctest -L soak --output-on-failure
#include "rawhttpclient.h"
#include "reliabilitytools.h"

#include <QtTest>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include <fcntl.h>

using namespace reliability;
using namespace rawhttp;

namespace {

constexpr int kWellBehaved = 64;
constexpr int kSlowClients = 1000;
constexpr qint64 kPatchBytes = 16 * 1024;

QByteArray request(const QByteArray &method, const QByteArray &target, const Headers &headers = {})
{
    QByteArray out = method + ' ' + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (const auto &h : headers)
        out += h.first + ": " + h.second + "\r\n";
    return out + "\r\n";
}

struct ClientResult {
    qint64 requests = 0;
    QStringList errors;
    std::vector<qint64> latenciesUs;
};

// One kept-alive connection: its own upload, then status / HEAD / PATCH in turn.
void runWellBehaved(quint16 port, int index, const QDeadlineTimer &until, ClientResult *result)
{
    RawClient c;
    QString why;
    if (!c.connectTo(port)) {
        result->errors << QStringLiteral("client %1: cannot connect").arg(index);
        return;
    }
    const auto exchange = [&](const QByteArray &method, const QByteArray &bytes, int expected) -> std::optional<Answer> {
        QElapsedTimer clock;
        clock.start();
        if (const QString sent = c.send(bytes); !sent.isEmpty()) {
            result->errors << QStringLiteral("client %1: %2").arg(index).arg(sent);
            return std::nullopt;
        }
        auto a = c.read(method, &why);
        result->latenciesUs.push_back(clock.nsecsElapsed() / 1000);
        ++result->requests;
        if (!a || a->status != expected || a->saysClose()) {
            result->errors << QStringLiteral("client %1, %2: %3").arg(index).arg(QString::fromLatin1(method),
                                                                          a ? QString::fromLatin1(a->brief()) : why);
            return std::nullopt;
        }
        return a;
    };
    const auto created = exchange("POST", request("POST", "/api/v0/upload-video",
                                                  {{"Tus-Resumable", "1.0.0"}, {"Upload-Length", QByteArray::number(64 * MiB)}}),
                                  200);
    if (!created)
        return;
    const QByteArray tusPath = QUrl(QString::fromLatin1(created->header("location"))).path().toLatin1();
    const QByteArray id = created->header("stream-media-id");
    const QByteArray body(kPatchBytes, char('a' + index % 26));
    qint64 offset = 0;
    for (int i = 0; !until.hasExpired(); ++i) {
        switch (i % 3) {
        case 0:
            if (!exchange("GET", request("GET", "/api/v0/get-video-status/" + id), 200))
                return;
            break;
        case 1: {
            const auto a = exchange("HEAD", request("HEAD", tusPath, {{"Tus-Resumable", "1.0.0"}}), 200);
            if (!a)
                return;
            if (a->header("upload-offset").toLongLong() != offset) {
                result->errors << QStringLiteral("client %1: HEAD says offset %2, expected %3")
                                      .arg(index).arg(QString::fromLatin1(a->header("upload-offset"))).arg(offset);
                return;
            }
            break;
        }
        default: {
            const QByteArray head = request("PATCH", tusPath, {{"Tus-Resumable", "1.0.0"}, {"Upload-Offset", QByteArray::number(offset)},
                                                               {"Content-Type", "application/offset+octet-stream"},
                                                               {"Content-Length", QByteArray::number(kPatchBytes)}});
            if (!exchange("PATCH", head + body, 204))
                return;
            offset += kPatchBytes;
            break;
        }
        }
    }
}

// A thousand sockets each holding a half-sent head, topped up now and then;
// when the host closes one (408 after its head timeout, or to make room) it is
// opened again.
class SlowClients {
public:
    explicit SlowClients(quint16 port) : m_port(port) {}
    ~SlowClients() { closeAll(); }

    void closeAll()
    {
        for (int fd : m_fds)
            if (fd >= 0)
                ::close(fd);
        m_fds.clear();
    }

    void open(int count)
    {
        m_fds.assign(size_t(count), -1);
        for (int &fd : m_fds)
            fd = connectOne();
    }

    // Reads what the host sent (a 408, a close) and reopens closed ones; every
    // call also sends one more header byte on each socket.
    void tick()
    {
        char buf[4096];
        for (int &fd : m_fds) {
            if (fd < 0) {
                fd = connectOne();
                continue;
            }
            const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
                ::close(fd);
                ++m_closedByHost;
                fd = connectOne();
                continue;
            }
            if (n > 0) {
                m_answers += QByteArray(buf, int(qMin<ssize_t>(n, 12))).startsWith("HTTP/1.1 408");
                continue; // the close follows
            }
            if (::send(fd, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT) != 1) {
                ::close(fd);
                ++m_closedByHost;
                fd = connectOne();
            }
        }
    }

    int holding() const
    {
        return int(std::count_if(m_fds.begin(), m_fds.end(), [](int fd) { return fd >= 0; }));
    }
    qint64 closedByHost() const { return m_closedByHost; }
    qint64 timeouts408() const { return m_answers; }

private:
    int connectOne()
    {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(m_port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) {
            if (fd >= 0)
                ::close(fd);
            return -1;
        }
        static const QByteArray head = "GET /api/v0/get-video-status/0123456789abcdef0123456789abcdef HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
        if (::send(fd, head.constData(), size_t(head.size()), MSG_NOSIGNAL) != head.size()) {
            ::close(fd);
            return -1;
        }
        return fd;
    }

    quint16 m_port;
    std::vector<int> m_fds;
    qint64 m_closedByHost = 0;
    qint64 m_answers = 0;
};

double percentile(std::vector<qint64> &v, double p)
{
    if (v.empty())
        return 0;
    const size_t i = size_t(std::min<double>(double(v.size() - 1), p / 100.0 * double(v.size())));
    std::nth_element(v.begin(), v.begin() + qsizetype(i), v.end());
    return double(v[i]) / 1000.0;
}

} // namespace

class TestSoak : public QObject {
    Q_OBJECT

private slots:
    void keptAliveClientsBesideAThousandSlowOnes()
    {
        const int seconds = qEnvironmentVariableIsSet("DESO_SOAK_SECONDS") ? qEnvironmentVariableIntValue("DESO_SOAK_SECONDS") : 60;
        auto dir = scratchDir(kWellBehaved * 64 * MiB);
        QVERIFY(dir->isValid());
        ServeProcess host(dir->filePath(QStringLiteral("host")));
        QString why;
        QVERIFY2(host.start(0, &why), qPrintable(why));
        const quint16 port = quint16(host.url().port());
        QTest::qWait(500);
        const qint64 rssBefore = host.rssBytes();
        const int filesBefore = host.openFiles();

        SlowClients slow(port);
        slow.open(kSlowClients);
        const int slowHeld = slow.holding();
        QTest::qWait(1000);
        const int filesWithSlow = host.openFiles();

        const QDeadlineTimer until(qint64(seconds) * 1000);
        std::vector<ClientResult> results(kWellBehaved);
        std::vector<std::thread> threads;
        for (int i = 0; i < kWellBehaved; ++i)
            threads.emplace_back(runWellBehaved, port, i, std::cref(until), &results[size_t(i)]);
        int minHeld = kSlowClients;
        while (!until.hasExpired()) {
            QTest::qWait(2000);
            slow.tick();
            minHeld = qMin(minHeld, slow.holding());
            host.drainOutput();
        }
        for (auto &t : threads)
            t.join();
        const qint64 rssLoaded = host.rssBytes();
        const int filesLoaded = host.openFiles();
        slow.closeAll();
        QTest::qWait(2500); // the host notices the closes
        host.drainOutput();
        const qint64 rssAfter = host.rssBytes();
        const int filesAfter = host.openFiles();

        qint64 requests = 0;
        QStringList errors;
        std::vector<qint64> latencies;
        for (auto &r : results) {
            requests += r.requests;
            errors += r.errors;
            latencies.insert(latencies.end(), r.latenciesUs.begin(), r.latenciesUs.end());
        }
        qInfo("soak: %d s, %d kept-alive clients, %lld requests (%.0f req/s), %lld errors; latency ms p50 %.2f, p90 %.2f, "
              "p99 %.2f, p99.9 %.2f, max %.2f",
              seconds, kWellBehaved, requests, double(requests) / seconds, qlonglong(errors.size()), percentile(latencies, 50),
              percentile(latencies, 90), percentile(latencies, 99), percentile(latencies, 99.9), percentile(latencies, 100));
        qInfo("soak: slow clients held %d at start, at least %d during the run; the host closed %lld of them (%lld with 408)",
              slowHeld, minHeld, slow.closedByHost(), slow.timeouts408());
        qInfo("soak: host VmRSS %.1f MiB before, %.1f MiB under load, %.1f MiB after; open files %d before, %d with the "
              "slow clients, %d under load, %d after",
              double(rssBefore) / MiB, double(rssLoaded) / MiB, double(rssAfter) / MiB, filesBefore, filesWithSlow,
              filesLoaded, filesAfter);
        QVERIFY2(errors.isEmpty(), qPrintable(errors.mid(0, 10).join(QLatin1Char('\n'))));
        QVERIFY2(requests > kWellBehaved * 3, "the well-behaved clients hardly got answers");
        // Flat: every connection's file is closed again once its client has gone.
        QVERIFY2(filesAfter <= filesBefore + 4, qPrintable(QStringLiteral("open files %1 before, %2 after").arg(filesBefore).arg(filesAfter)));
        QVERIFY2(rssAfter < rssBefore + 64 * MiB, "the host's memory grew by 64 MiB or more");
    }
};

QTEST_GUILESS_MAIN(TestSoak)
#include "tst_soak.moc"
