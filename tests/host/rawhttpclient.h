#pragma once
// A blocking loopback HTTP/1.1 client on a plain socket, for tests that must see
// exactly what is on the wire (framing, interim answers, who closes when):
// writes exact bytes, reads answers one at a time (keeping what arrives early,
// so pipelined answers stay in order), and tells a close from a reset or silence.
// Timeouts only keep a broken server from hanging a run; nothing measures time.

#include <QByteArray>
#include <QDeadlineTimer>
#include <QList>
#include <QPair>
#include <QString>

#include <optional>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace rawhttp {

using Headers = QList<QPair<QByteArray, QByteArray>>;

constexpr int kAnswerTimeoutMs = 15000; // only to avoid hanging on a broken server
constexpr int kCloseTimeoutMs = 5000;

// One parsed HTTP message as it arrived on the wire.
struct Answer {
    QByteArray statusLine;
    int status = 0;
    Headers headers; // names lower-cased, values trimmed
    QByteArray body;

    QByteArray header(const QByteArray &name) const
    {
        for (const auto &h : headers)
            if (h.first == name.toLower())
                return h.second;
        return {};
    }
    bool hasHeader(const QByteArray &name) const
    {
        for (const auto &h : headers)
            if (h.first == name.toLower())
                return true;
        return false;
    }
    bool saysClose() const { return header("connection").toLower().contains("close"); }
    // For failure messages: status line and the start of the body.
    QByteArray brief() const { return statusLine + (body.isEmpty() ? QByteArray() : " | " + body.left(160)); }
};

// Decodes a chunked body starting at `from`. 1: complete (*end = first byte after
// the trailers), 0: need more bytes, -1: malformed.
inline int decodeChunked(const QByteArray &in, qsizetype from, QByteArray *body, qsizetype *end)
{
    body->clear();
    qsizetype pos = from;
    for (;;) {
        const qsizetype eol = in.indexOf("\r\n", pos);
        if (eol < 0)
            return 0;
        QByteArray sizeText = in.mid(pos, eol - pos);
        if (const qsizetype semi = sizeText.indexOf(';'); semi >= 0)
            sizeText.truncate(semi);
        bool ok = false;
        const qint64 size = sizeText.trimmed().toLongLong(&ok, 16);
        if (!ok || size < 0)
            return -1;
        pos = eol + 2;
        if (size == 0) {
            // Trailer fields, then the empty line.
            for (;;) {
                const qsizetype e = in.indexOf("\r\n", pos);
                if (e < 0)
                    return 0;
                const bool empty = e == pos;
                pos = e + 2;
                if (empty) {
                    *end = pos;
                    return 1;
                }
            }
        }
        if (in.size() < pos + size + 2)
            return 0;
        body->append(in.mid(pos, size));
        if (in.mid(pos + size, 2) != "\r\n")
            return -1;
        pos += size + 2;
    }
}

// A blocking loopback client on a plain socket: writes exact bytes, reads answers
// one at a time (keeping what arrives early, so pipelined answers stay in order).
class RawClient {
public:
    RawClient() = default;
    RawClient(const RawClient &) = delete;
    RawClient &operator=(const RawClient &) = delete;
    ~RawClient()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }

    bool connectTo(quint16 port)
    {
        m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        return m_fd >= 0 && ::connect(m_fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0;
    }

    // Empty on success, else why the bytes could not all be written.
    QString send(const QByteArray &bytes)
    {
        qsizetype done = 0;
        while (done < bytes.size()) {
            const ssize_t n = ::send(m_fd, bytes.constData() + done, size_t(bytes.size() - done), MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return QStringLiteral("write failed after %1 of %2 bytes: %3")
                    .arg(done).arg(bytes.size()).arg(QString::fromLocal8Bit(strerror(errno)));
            done += n;
        }
        return {};
    }

    // The next message on the connection (a 1xx interim answer counts as one).
    // `method` is the request's, so a HEAD answer is read without a body.
    std::optional<Answer> read(const QByteArray &method, QString *why, int timeoutMs = kAnswerTimeoutMs)
    {
        const QDeadlineTimer deadline(timeoutMs);
        qsizetype headEnd = -1;
        while ((headEnd = m_in.indexOf("\r\n\r\n")) < 0) {
            if (!fill(deadline, why, m_in.isEmpty() ? "before any byte of the answer" : "in the middle of the answer's head"))
                return std::nullopt;
        }
        Answer a;
        const QList<QByteArray> lines = m_in.left(headEnd).split('\n');
        a.statusLine = lines.value(0).trimmed();
        const QList<QByteArray> parts = a.statusLine.split(' ');
        bool ok = false;
        a.status = parts.value(1).toInt(&ok);
        if (!parts.value(0).startsWith("HTTP/1.") || !ok) {
            *why = QStringLiteral("not an HTTP status line: \"%1\"").arg(QString::fromLatin1(a.statusLine.left(120)));
            return std::nullopt;
        }
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const QByteArray line = lines[i].trimmed();
            const qsizetype colon = line.indexOf(':');
            if (colon <= 0) {
                *why = QStringLiteral("malformed header line \"%1\"").arg(QString::fromLatin1(line.left(120)));
                return std::nullopt;
            }
            a.headers.append({line.left(colon).trimmed().toLower(), line.mid(colon + 1).trimmed()});
        }
        m_in.remove(0, headEnd + 4);

        const bool noBody = method == "HEAD" || a.status < 200 || a.status == 204 || a.status == 304;
        if (noBody)
            return a;
        if (a.header("transfer-encoding").toLower().contains("chunked")) {
            qsizetype end = 0;
            for (;;) {
                const int r = decodeChunked(m_in, 0, &a.body, &end);
                if (r < 0) {
                    *why = QStringLiteral("malformed chunked answer body");
                    return std::nullopt;
                }
                if (r == 1)
                    break;
                if (!fill(deadline, why, "in the middle of a chunked answer body"))
                    return std::nullopt;
            }
            m_in.remove(0, end);
            return a;
        }
        int lengths = 0;
        for (const auto &h : a.headers)
            lengths += h.first == "content-length";
        if (lengths > 1) {
            *why = QStringLiteral("the answer has %1 Content-Length headers").arg(lengths);
            return std::nullopt;
        }
        if (lengths == 1) {
            const qint64 length = a.header("content-length").toLongLong(&ok);
            if (!ok || length < 0) {
                *why = QStringLiteral("bad Content-Length in the answer: %1").arg(QString::fromLatin1(a.header("content-length")));
                return std::nullopt;
            }
            while (m_in.size() < length) {
                if (!fill(deadline, why, "before the answer's body was complete (Content-Length says more)"))
                    return std::nullopt;
            }
            a.body = m_in.left(length);
            m_in.remove(0, length);
            return a;
        }
        // No framing: the body runs to the close.
        QString ignored;
        while (!m_eof && fill(deadline, &ignored, "")) {
        }
        a.body = m_in;
        m_in.clear();
        return a;
    }

    enum class Peer { Closed, Reset, Open, SentMore };
    // After an answer: does the server close the connection (FIN or reset)?
    Peer waitForClose(int timeoutMs = kCloseTimeoutMs)
    {
        if (!m_in.isEmpty())
            return Peer::SentMore;
        if (m_eof)
            return Peer::Closed;
        const QDeadlineTimer deadline(timeoutMs);
        QString why;
        if (fill(deadline, &why, ""))
            return Peer::SentMore;
        if (m_eof)
            return Peer::Closed;
        return m_timedOut ? Peer::Open : Peer::Reset;
    }

    QByteArray pending() const { return m_in; }

private:
    // Reads what is available (waiting until the deadline). False on close, error or timeout.
    bool fill(const QDeadlineTimer &deadline, QString *why, const char *where)
    {
        m_timedOut = false;
        if (m_eof) {
            *why = QStringLiteral("the server closed the connection %1").arg(QLatin1String(where));
            return false;
        }
        pollfd p{m_fd, POLLIN, 0};
        const int ready = ::poll(&p, 1, int(qMax<qint64>(0, deadline.remainingTime())));
        if (ready == 0) {
            m_timedOut = true;
            *why = QStringLiteral("nothing more arrived before the timeout (%1; %2 bytes buffered)")
                       .arg(QLatin1String(where)).arg(m_in.size());
            return false;
        }
        char buf[65536];
        const ssize_t n = ::recv(m_fd, buf, sizeof buf, 0);
        if (n == 0) {
            m_eof = true;
            *why = QStringLiteral("the server closed the connection %1").arg(QLatin1String(where));
            return false;
        }
        if (n < 0) {
            *why = QStringLiteral("connection error %1: %2").arg(QLatin1String(where), QString::fromLocal8Bit(strerror(errno)));
            return false;
        }
        m_in.append(buf, n);
        return true;
    }

    int m_fd = -1;
    QByteArray m_in;
    bool m_eof = false;
    bool m_timedOut = false;
};

inline const char *peerName(RawClient::Peer p)
{
    switch (p) {
    case RawClient::Peer::Closed: return "closed";
    case RawClient::Peer::Reset: return "reset";
    case RawClient::Peer::Open: return "still open";
    case RawClient::Peer::SentMore: return "sent more bytes";
    }
    return "?";
}

} // namespace rawhttp
