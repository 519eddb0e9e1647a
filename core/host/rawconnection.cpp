#include "host/rawconnection.h"

#include <QFile>
#include <QSocketNotifier>

#include <cerrno>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace deso::host {

namespace {
constexpr size_t kBodyBuffer = 1024 * 1024;
constexpr int kIdleMs = 120 * 1000;
constexpr int kDrainMs = 5 * 1000;
} // namespace

RawConnection::RawConnection(qintptr fd, HostListener *listener, RawRouter *router)
    : QObject(listener), m_fd(int(fd)), m_listener(listener), m_router(router)
{
    m_clock.start();
    m_read = new QSocketNotifier(fd, QSocketNotifier::Read, this);
    m_write = new QSocketNotifier(fd, QSocketNotifier::Write, this);
    m_write->setEnabled(false);
    connect(m_read, &QSocketNotifier::activated, this, [this] { onReadable(); });
    connect(m_write, &QSocketNotifier::activated, this, [this] { onWritable(); });
    m_idle.setSingleShot(true);
    connect(&m_idle, &QTimer::timeout, this, [this] { closeNow(); });
    m_idle.start(kIdleMs);
}

RawConnection::~RawConnection()
{
    // A body still streaming when the host stops: the sink keeps what arrived.
    if (m_plan.sink)
        (void)m_plan.sink->finish(false);
    if (m_fileFd >= 0)
        ::close(m_fileFd);
    if (m_fd >= 0)
        ::close(m_fd);
}

void RawConnection::onReadable()
{
    switch (m_state) {
    case State::Head: readHead(); break;
    case State::Body: readBody(); break;
    case State::Drain: {
        char sink[16384];
        const ssize_t n = ::recv(m_fd, sink, sizeof sink, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
            closeNow();
        break;
    }
    case State::Respond:
        // Data while we answer (pipelining, or a body we refused): wait.
        m_read->setEnabled(false);
        break;
    }
}

void RawConnection::readHead()
{
    char buf[kMaxRequestHeadBytes];
    const qsizetype room = kMaxRequestHeadBytes - m_headBytes.size();
    const ssize_t n = ::recv(m_fd, buf, size_t(room), MSG_PEEK | MSG_DONTWAIT);
    if (n == 0) {
        closeNow();
        return;
    }
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            closeNow();
        return;
    }
    m_idle.start(kIdleMs);
    const QByteArray candidate = m_headBytes + QByteArray(buf, n);
    const qsizetype from = qMax<qsizetype>(0, m_headBytes.size() - 3);
    const qsizetype end = candidate.indexOf("\r\n\r\n", from);
    // Consume exactly the head: body bytes stay queued for the body reader (or,
    // after a bodiless request, for the next sniff).
    const qsizetype take = end < 0 ? n : end + 4 - m_headBytes.size();
    qsizetype got = 0;
    while (got < take) {
        const ssize_t r = ::recv(m_fd, buf + got, size_t(take - got), MSG_DONTWAIT);
        if (r <= 0) {
            closeNow();
            return;
        }
        got += r;
    }
    m_headBytes = candidate.left(m_headBytes.size() + take);
    if (end < 0) {
        if (m_headBytes.size() >= kMaxRequestHeadBytes)
            fail(431, QStringLiteral("The request head is larger than 16 KiB."));
        return;
    }

    auto parsed = parseRequestHead(m_headBytes);
    if (!parsed.ok()) {
        fail(parsed.error().httpStatus, parsed.error().message);
        return;
    }
    m_head = parsed.value();
    m_headParsed = true;
    m_clock.restart();
    m_plan = m_router->route(m_head);
    if (!m_plan.sink) {
        // A request whose body nobody reads cannot stay framed: close after answering.
        const QByteArray cl = m_head.header("content-length");
        if ((!cl.isEmpty() && cl != "0") || m_head.hasHeader("transfer-encoding"))
            m_plan.response.closeConnection = true;
        startResponse(std::move(m_plan.response));
        return;
    }
    m_bodyRemaining = m_plan.bodyLength;
    if (m_head.header("expect").toLower() == "100-continue" && m_bodyRemaining > 0) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        // Tiny write on a fresh socket buffer: it fits; a short write means the peer is gone.
        if (::send(m_fd, cont, sizeof cont - 1, MSG_NOSIGNAL | MSG_DONTWAIT) != ssize_t(sizeof cont - 1)) {
            closeNow();
            return;
        }
    }
    m_state = State::Body;
    m_buffer.resize(kBodyBuffer);
    if (m_bodyRemaining == 0)
        readBody();
}

void RawConnection::readBody()
{
    // A few reads per wake-up, then back to the event loop so others are served.
    for (int round = 0; round < 8 && m_bodyRemaining > 0; ++round) {
        const size_t want = size_t(qMin<qint64>(m_bodyRemaining, qint64(m_buffer.size())));
        const ssize_t n = ::recv(m_fd, m_buffer.data(), want, MSG_DONTWAIT);
        if (n == 0) {
            // Peer gone mid-body: the sink keeps (or undoes) what it must; no answer.
            auto sink = std::move(m_plan.sink);
            (void)sink->finish(false);
            closeNow();
            return;
        }
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                break;
            auto sink = std::move(m_plan.sink);
            (void)sink->finish(false);
            closeNow();
            return;
        }
        m_bodyRemaining -= n;
        m_bodyBytes += n;
        if (auto s = m_plan.sink->write(m_buffer.data(), n); !s.ok()) {
            auto sink = std::move(m_plan.sink);
            RawResponse r = sink->finish(true);
            r.closeConnection = true;
            startResponse(std::move(r));
            return;
        }
    }
    m_idle.start(kIdleMs);
    if (m_bodyRemaining == 0) {
        auto sink = std::move(m_plan.sink);
        m_buffer = {};
        startResponse(sink->finish(true));
    }
}

void RawConnection::fail(int status, const QString &message)
{
    RawResponse r = RawResponse::jsonError(status, message);
    r.closeConnection = true;
    startResponse(std::move(r));
}

void RawConnection::startResponse(RawResponse response)
{
    m_state = State::Respond;
    m_read->setEnabled(false);
    if (m_headParsed)
        m_router->decorate(m_head, response);
    m_status = response.status;
    m_close = response.closeConnection || !m_headParsed || !m_head.wantsKeepAlive();
    const bool headOnly = m_headParsed && m_head.method == "HEAD";

    qint64 contentLength = response.body.size();
    if (!response.filePath.isEmpty()) {
        m_fileFd = ::open(QFile::encodeName(response.filePath).constData(), O_RDONLY | O_CLOEXEC);
        if (m_fileFd < 0) {
            response = RawResponse::jsonError(500, QStringLiteral("The host could not open the file."));
            if (m_headParsed)
                m_router->decorate(m_head, response);
            m_status = 500;
            contentLength = response.body.size();
        } else {
            contentLength = response.fileLength;
            m_filePos = response.fileOffset;
            m_fileRemaining = headOnly ? 0 : response.fileLength;
        }
    }
    QByteArray out = "HTTP/1.1 " + QByteArray::number(response.status) + ' ' + reasonPhrase(response.status) + "\r\n";
    for (const auto &h : response.headers)
        out += h.first + ": " + h.second + "\r\n";
    if (response.status != 204 && response.status != 304)
        out += "Content-Length: " + QByteArray::number(contentLength) + "\r\n";
    out += m_close ? "Connection: close\r\n" : "Connection: keep-alive\r\n";
    out += "\r\n";
    if (!headOnly && response.filePath.isEmpty()) {
        out += response.body;
        m_sentBodyBytes = response.body.size();
    }
    m_out = out;
    m_outPos = 0;
    // Log before the answer leaves: a client that reacts to the answer (and its
    // test) then always finds the entry already logged. File bodies log when sent.
    if (m_fileFd < 0)
        logRequest();
    onWritable();
}

bool RawConnection::fillOutput()
{
    if (m_outPos < m_out.size() || m_fileRemaining == 0)
        return m_outPos < m_out.size();
    m_out.resize(qsizetype(qMin<qint64>(m_fileRemaining, 256 * 1024)));
    const ssize_t n = ::pread(m_fileFd, m_out.data(), size_t(m_out.size()), m_filePos);
    if (n <= 0) {
        m_fileRemaining = 0; // the file shrank under us: the peer sees a short body and the close
        m_close = true;
        m_out.clear();
        return false;
    }
    m_out.resize(n);
    m_outPos = 0;
    m_filePos += n;
    m_fileRemaining -= n;
    m_sentBodyBytes += n;
    return true;
}

void RawConnection::onWritable()
{
    while (fillOutput()) {
        const ssize_t n = ::send(m_fd, m_out.constData() + m_outPos, size_t(m_out.size() - m_outPos),
                                 MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                m_write->setEnabled(true);
                m_idle.start(kIdleMs);
                return;
            }
            m_close = true;
            finishResponse();
            return;
        }
        m_outPos += n;
    }
    m_write->setEnabled(false);
    finishResponse();
}

void RawConnection::logRequest()
{
    RawLogEntry entry;
    entry.method = m_headParsed ? m_head.method : QByteArray("?");
    entry.path = m_headParsed ? m_head.path() : QByteArray("?");
    entry.status = m_status;
    entry.bytes = m_bodyBytes + m_sentBodyBytes;
    entry.durationMs = m_clock.elapsed();
    m_router->logged(entry);
}

void RawConnection::finishResponse()
{
    if (m_fileFd >= 0) {
        logRequest(); // a streamed file is logged when it has been sent
        ::close(m_fileFd);
        m_fileFd = -1;
    }
    if (m_close) {
        // Lingering close: stop sending, read and drop what the peer still sends
        // (e.g. a refused body) until it closes, so it gets our answer, not a reset.
        ::shutdown(m_fd, SHUT_WR);
        m_state = State::Drain;
        m_read->setEnabled(true);
        m_idle.start(kDrainMs);
        return;
    }
    // Kept alive: the next request is sniffed afresh (it may belong to QHttpServer).
    m_read->setEnabled(false);
    m_idle.stop();
    const int fd = m_fd;
    m_fd = -1;
    deleteLater();
    m_listener->dispatch(fd);
}

void RawConnection::closeNow()
{
    m_read->setEnabled(false);
    m_write->setEnabled(false);
    m_idle.stop();
    if (m_fd >= 0)
        ::close(m_fd);
    m_fd = -1;
    deleteLater();
}

} // namespace deso::host
