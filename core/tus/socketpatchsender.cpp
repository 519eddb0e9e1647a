#include "tus/socketpatchsender.h"

#include <QFile>
#include <QNetworkProxy>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <vector>

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

namespace deso::tus {

namespace {

// Large pieces keep the loop in the kernel, not in syscalls and wakeups.
constexpr size_t kBodyPiece = 4 * 1024 * 1024;
constexpr qsizetype kMaxAnswerHead = 64 * 1024;
constexpr int kProgressIntervalMs = 100;

// Requests block a thread for their whole body: they get their own pool, so that they
// never wait behind (or starve) the global pool's work such as the checksum of the next chunk.
QThreadPool &senderPool()
{
    static QThreadPool pool;
    static const bool sized = [] {
        pool.setMaxThreadCount(16);
        return true;
    }();
    Q_UNUSED(sized)
    return pool;
}

QString systemError(const char *what, int error)
{
    return QStringLiteral("%1: %2").arg(QLatin1String(what), QString::fromLocal8Bit(std::strerror(error)));
}

struct Request {
    QByteArray head;       // with the body's prefix, if any
    QByteArray bodySuffix; // sent after the file's bytes
    QByteArray host;
    QByteArray port;
    QString filePath;
    qint64 offset = 0;
    qint64 length = 0;
    int stallTimeoutMs = 0;
};

} // namespace

struct SocketPatchSender::Shared {
    std::mutex mutex;
    int socket = -1;           // guarded by mutex: abort() shuts it down
    bool aborted = false;      // guarded by mutex
    std::atomic<qint64> bodyBytesSent{0};

    bool adopt(int fd)
    {
        std::lock_guard lock(mutex);
        if (aborted)
            return false;
        socket = fd;
        return true;
    }
    void release()
    {
        std::lock_guard lock(mutex);
        if (socket >= 0)
            ::close(socket);
        socket = -1;
    }
    void abort()
    {
        std::lock_guard lock(mutex);
        aborted = true;
        if (socket >= 0)
            ::shutdown(socket, SHUT_RDWR); // wakes the worker's poll()
    }
};

namespace {

using Shared = SocketPatchSender::Shared;

// Waits until the socket is ready for `events`; false on a stall (no readiness for the timeout).
bool waitFor(int fd, short events, int timeoutMs, short *revents)
{
    pollfd p{fd, events, 0};
    for (;;) {
        const int r = ::poll(&p, 1, timeoutMs);
        if (r < 0 && errno == EINTR)
            continue;
        *revents = r > 0 ? p.revents : 0;
        return r > 0;
    }
}

int connectTo(const Request &request, Shared &shared, QString *error)
{
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo *found = nullptr;
    if (const int r = ::getaddrinfo(request.host.constData(), request.port.constData(), &hints, &found); r != 0) {
        *error = QStringLiteral("Host %1 not found (%2)").arg(QString::fromLatin1(request.host), QString::fromLocal8Bit(gai_strerror(r)));
        return -1;
    }
    int fd = -1;
    for (addrinfo *ai = found; ai; ai = ai->ai_next) {
        fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
        if (fd < 0)
            continue;
        if (!shared.adopt(fd)) {
            ::close(fd);
            fd = -1;
            *error = QStringLiteral("Operation canceled");
            break;
        }
        int connectError = 0;
        if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            short revents = 0;
            socklen_t length = sizeof connectError;
            if (errno != EINPROGRESS)
                connectError = errno;
            else if (!waitFor(fd, POLLOUT, request.stallTimeoutMs, &revents))
                connectError = ETIMEDOUT;
            else if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &connectError, &length) != 0)
                connectError = errno;
        }
        if (connectError == 0)
            break;
        *error = systemError("Connection failed", connectError);
        shared.release();
        fd = -1;
    }
    ::freeaddrinfo(found);
    if (fd >= 0) {
        const int on = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on); // the head must not wait for the body
    }
    return fd;
}

// Reads an HTTP/1.1 answer: status line, headers and a body bounded by Content-Length
// (or the end of the connection). Interim 1xx answers are skipped.
void readAnswer(int fd, const Request &request, HttpAnswer *answer)
{
    QByteArray in;
    for (;;) {
        qsizetype headEnd = -1;
        qint64 bodyLength = -1;
        for (;;) {
            headEnd = in.indexOf("\r\n\r\n");
            if (headEnd >= 0)
                break;
            if (in.size() > kMaxAnswerHead) {
                answer->networkError = QStringLiteral("The server sent an oversized answer head");
                return;
            }
            short revents = 0;
            if (!waitFor(fd, POLLIN, request.stallTimeoutMs, &revents)) {
                answer->networkError = QStringLiteral("No answer within %1 ms").arg(request.stallTimeoutMs);
                return;
            }
            char piece[16 * 1024];
            const ssize_t n = ::recv(fd, piece, sizeof piece, 0);
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (n <= 0) {
                answer->networkError = n == 0 ? QStringLiteral("Connection closed before an answer arrived")
                                              : systemError("Connection failed while waiting for the answer", errno);
                return;
            }
            in.append(piece, n);
        }
        const QList<QByteArray> lines = in.left(headEnd).split('\n');
        const QList<QByteArray> statusParts = lines.value(0).trimmed().split(' ');
        bool statusOk = false;
        const int status = statusParts.value(1).toInt(&statusOk);
        if (!lines.value(0).startsWith("HTTP/1.") || !statusOk || status < 100 || status > 999) {
            answer->networkError = QStringLiteral("The server's answer is not HTTP/1.1");
            return;
        }
        node::HeaderList headers;
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const QByteArray line = lines.at(i).trimmed();
            const qsizetype colon = line.indexOf(':');
            if (colon <= 0)
                continue;
            headers.append({line.left(colon).trimmed(), line.mid(colon + 1).trimmed()});
            if (line.left(colon).trimmed().compare("content-length", Qt::CaseInsensitive) == 0)
                bodyLength = line.mid(colon + 1).trimmed().toLongLong();
        }
        in.remove(0, headEnd + 4);
        if (status < 200)
            continue; // 100 Continue and friends
        answer->status = status;
        const qsizetype space = lines.value(0).indexOf(' ', lines.value(0).indexOf(' ') + 1);
        answer->reason = space > 0 ? lines.value(0).mid(space + 1).trimmed() : QByteArray();
        answer->headers = headers;
        // Answers that never carry a body (RFC 9110 6.4.1): waiting for the server to close
        // would cost a round of its event loop per PATCH (@tus/server's 204 has no Content-Length).
        if (request.head.startsWith("HEAD ") || status == 204 || status == 304)
            bodyLength = 0;
        // The body is for messages only: keep the first kMaxRecordedBody bytes.
        while ((bodyLength < 0 || in.size() < bodyLength) && in.size() < node::kMaxRecordedBody) {
            short revents = 0;
            if (!waitFor(fd, POLLIN, request.stallTimeoutMs, &revents))
                break;
            char piece[16 * 1024];
            const ssize_t n = ::recv(fd, piece, sizeof piece, 0);
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (n <= 0)
                break;
            in.append(piece, n);
        }
        answer->body = in.left(bodyLength < 0 ? node::kMaxRecordedBody : qMin<qint64>(bodyLength, node::kMaxRecordedBody));
        return;
    }
}

HttpAnswer exchange(const Request &request, const std::shared_ptr<Shared> &shared)
{
    HttpAnswer answer;
    const int file = ::open(QFile::encodeName(request.filePath).constData(), O_RDONLY | O_CLOEXEC);
    if (file < 0) {
        answer.fileUnreadable = true;
        answer.networkError = systemError("Cannot read the file", errno);
        return answer;
    }
    ::posix_fadvise(file, request.offset, request.length, POSIX_FADV_SEQUENTIAL);
    const int fd = connectTo(request, *shared, &answer.networkError);
    if (fd < 0) {
        ::close(file);
        return answer;
    }
    // The file's bytes go with sendfile: the kernel hands the page cache to the socket,
    // with no copy through this process (a read and a send each copied every byte).
    // Where sendfile cannot go, they go through a buffer.
    std::vector<char> buffer;
    bool useSendfile = true;
    QByteArrayView pending(request.head);
    qint64 bodySent = 0;
    enum class Part { Head, File, Suffix } part = Part::Head;
    bool answeredEarly = false;
    const auto socketGone = [] { return errno == EPIPE || errno == ECONNRESET || errno == ENOTCONN; };
    while (!answer.fileUnreadable) {
        if (pending.isEmpty() && part == Part::Head) {
            part = Part::File;
        }
        if (part == Part::File && bodySent >= request.length) {
            part = Part::Suffix;
            pending = QByteArrayView(request.bodySuffix);
        }
        if (part == Part::Suffix && pending.isEmpty())
            break;
        if (part == Part::File && pending.isEmpty() && !useSendfile) {
            if (buffer.empty())
                buffer.resize(size_t(qMin<qint64>(qint64(kBodyPiece), request.length)));
            const size_t want = size_t(qMin<qint64>(qint64(buffer.size()), request.length - bodySent));
            const ssize_t n = ::pread(file, buffer.data(), want, request.offset + bodySent);
            if (n <= 0) {
                answer.fileUnreadable = true;
                answer.networkError = n < 0 ? systemError("Cannot read the file", errno)
                                            : QStringLiteral("The file is shorter than the range to send");
                break;
            }
            pending = QByteArrayView(buffer.data(), n);
        }
        short revents = 0;
        if (!waitFor(fd, POLLOUT | POLLIN, request.stallTimeoutMs, &revents)) {
            answer.networkError = QStringLiteral("No byte moved for %1 ms").arg(request.stallTimeoutMs);
            break;
        }
        // Readable while sending: the server answered early (a refusal) or closed.
        if (revents & (POLLIN | POLLHUP | POLLERR)) {
            answeredEarly = true;
            break;
        }
        if (part == Part::File && pending.isEmpty()) {
            off_t at = off_t(request.offset + bodySent);
            const ssize_t n = ::sendfile(fd, file, &at, size_t(qMin<qint64>(qint64(kBodyPiece), request.length - bodySent)));
            if (n > 0) {
                bodySent += n;
                shared->bodyBytesSent.fetch_add(n, std::memory_order_relaxed);
            } else if (n == 0) {
                answer.fileUnreadable = true;
                answer.networkError = QStringLiteral("The file is shorter than the range to send");
            } else if (errno == EINTR || errno == EAGAIN) {
                continue;
            } else if (socketGone()) {
                answeredEarly = true; // an answer may still be waiting
                break;
            } else {
                useSendfile = false; // e.g. a file system without it: the buffered way tells file from socket errors
            }
            continue;
        }
        const ssize_t n = ::send(fd, pending.data(), size_t(pending.size()), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            answeredEarly = true; // reset or broken pipe: an answer may still be waiting
            break;
        }
        if (part == Part::File) {
            bodySent += n;
            shared->bodyBytesSent.fetch_add(n, std::memory_order_relaxed);
        }
        pending = pending.sliced(n);
    }
    ::close(file);
    if (!answer.fileUnreadable && (answer.networkError.isEmpty() || answeredEarly)) {
        answer.networkError.clear();
        readAnswer(fd, request, &answer);
    }
    shared->release();
    return answer;
}

} // namespace

bool HttpAnswer::hasHeader(QByteArrayView name) const
{
    return !header(name).isNull();
}

node::HttpExchange HttpAnswer::toExchange(const QByteArray &method, const QUrl &url, const node::HeaderList &requestHeaders,
                                          const QString &requestBody, qint64 elapsedMs) const
{
    node::HttpExchange exchange;
    exchange.method = method;
    exchange.url = url;
    exchange.requestHeaders = requestHeaders;
    exchange.requestBody = requestBody;
    exchange.status = status;
    exchange.reason = reason;
    exchange.responseHeaders = headers;
    exchange.responseBody = body;
    exchange.networkError = status == 0 ? networkError : QString();
    exchange.elapsedMs = elapsedMs;
    return exchange;
}

QByteArray HttpAnswer::header(QByteArrayView name) const
{
    for (const auto &h : headers) {
        if (QByteArrayView(h.first).compare(name, Qt::CaseInsensitive) == 0)
            return h.second.isNull() ? QByteArray("") : h.second;
    }
    return {};
}

bool SocketPatchSender::canSend(const QUrl &url)
{
    if (url.scheme() != QLatin1String("http") || url.host().isEmpty())
        return false;
    // The proxy QNAM would use for this URL (application proxy or factory).
    const QList<QNetworkProxy> proxies = QNetworkProxyFactory::proxyForQuery(QNetworkProxyQuery(url));
    return proxies.isEmpty() || proxies.constFirst().type() == QNetworkProxy::NoProxy
        || proxies.constFirst().type() == QNetworkProxy::DefaultProxy;
}

SocketPatchSender::SocketPatchSender(QByteArray method, QUrl url, node::HeaderList headers, QString filePath,
                                     qint64 offset, qint64 length, int stallTimeoutMs, QObject *parent)
    : QObject(parent),
      m_method(std::move(method)),
      m_url(std::move(url)),
      m_headers(std::move(headers)),
      m_filePath(std::move(filePath)),
      m_offset(offset),
      m_length(length),
      m_stallTimeoutMs(stallTimeoutMs > 0 ? stallTimeoutMs : 60000),
      m_shared(std::make_shared<Shared>())
{
    qRegisterMetaType<deso::tus::HttpAnswer>();
    m_progressTimer.setInterval(kProgressIntervalMs);
    connect(&m_progressTimer, &QTimer::timeout, this, [this] {
        const qint64 sent = m_shared->bodyBytesSent.load(std::memory_order_relaxed);
        if (sent != m_reportedBytes) {
            m_reportedBytes = sent;
            emit uploadProgress(sent, m_length);
        }
    });
    connect(&m_watcher, &QFutureWatcher<HttpAnswer>::finished, this, [this] {
        m_progressTimer.stop();
        if (m_watcher.isCanceled())
            return;
        const qint64 sent = m_shared->bodyBytesSent.load(std::memory_order_relaxed);
        if (sent != m_reportedBytes)
            emit uploadProgress(sent, m_length);
        emit finished(m_watcher.result());
    });
}

SocketPatchSender::~SocketPatchSender()
{
    abort();
}

void SocketPatchSender::setBodyFraming(QByteArray prefix, QByteArray suffix)
{
    m_bodyPrefix = std::move(prefix);
    m_bodySuffix = std::move(suffix);
}

void SocketPatchSender::start()
{
    Request request;
    QByteArray target = m_url.toEncoded(QUrl::RemoveScheme | QUrl::RemoveAuthority | QUrl::RemoveFragment);
    if (target.isEmpty())
        target = "/";
    const QByteArray authority = m_url.authority(QUrl::RemoveUserInfo | QUrl::FullyEncoded).toLatin1();
    QByteArray head = m_method + ' ' + target + " HTTP/1.1\r\nHost: " + authority + "\r\n";
    for (const auto &h : m_headers)
        head += h.first + ": " + h.second + "\r\n";
    head += "Content-Length: " + QByteArray::number(m_bodyPrefix.size() + m_length + m_bodySuffix.size())
        + "\r\nConnection: close\r\n\r\n";
    request.head = head + m_bodyPrefix;
    request.bodySuffix = m_bodySuffix;
    request.host = m_url.host(QUrl::FullyEncoded).toLatin1();
    if (request.host.startsWith('[') && request.host.endsWith(']'))
        request.host = request.host.mid(1, request.host.size() - 2);
    request.port = QByteArray::number(m_url.port(80));
    request.filePath = m_filePath;
    request.offset = m_offset;
    request.length = m_length;
    request.stallTimeoutMs = m_stallTimeoutMs;
    m_watcher.setFuture(QtConcurrent::run(&senderPool(), exchange, request, m_shared));
    m_progressTimer.start();
}

void SocketPatchSender::abort()
{
    m_progressTimer.stop();
    m_shared->abort();
    disconnect(&m_watcher, nullptr, this, nullptr); // the worker ends on its own; its answer is dropped
}

} // namespace deso::tus
