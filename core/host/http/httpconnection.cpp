#include "host/http/httpconnection.h"

#include "host/http/httpserver.h"

#include <QFile>
#include <QHostAddress>
#include <QSocketNotifier>
#include <QThread>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

namespace deso::host {

namespace {
constexpr qsizetype kReadPiece = 64 * 1024;
constexpr size_t kBodyBuffer = 1024 * 1024;
// Body bytes taken in one wake-up before the event loop serves others.
constexpr qint64 kBodyBytesPerTurn = 8 * 1024 * 1024;
constexpr int kDrainMs = 5 * 1000;
constexpr qsizetype kMaxChunkLine = 1024;
constexpr qsizetype kKeptOutBytes = 16 * 1024;

bool wouldBlock()
{
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}
} // namespace

// ---- Responder ----------------------------------------------------------------

Responder::Responder(HttpConnection *connection, quint64 sequence) : m_connection(connection), m_sequence(sequence)
{
}

void Responder::send(HttpResponse response) const
{
    if (!m_connection)
        return;
    Q_ASSERT(QThread::currentThread() == m_connection->thread());
    m_connection->answer(m_sequence, std::move(response));
}

bool Responder::connected() const
{
    return m_connection && m_connection->m_state != HttpConnection::State::Closed;
}

// ---- BodyValve ----------------------------------------------------------------

BodyValve::BodyValve(HttpConnection *connection, quint64 sequence) : m_connection(connection), m_sequence(sequence)
{
}

void BodyValve::pause() const
{
    if (m_connection)
        m_connection->pauseBody(m_sequence, true);
}

void BodyValve::resume() const
{
    if (m_connection)
        m_connection->pauseBody(m_sequence, false);
}

void BodyValve::answerNow(HttpResponse response) const
{
    if (m_connection)
        m_connection->answerDuringBody(m_sequence, std::move(response));
}

// ---- HttpConnection -----------------------------------------------------------

HttpConnection::HttpConnection(int fd, HttpServer *server, HttpRouter *router)
    : QObject(server), m_fd(fd), m_server(server), m_router(router)
{
    m_lastActivity = server->now();
    sockaddr_storage peer{};
    socklen_t peerLength = sizeof peer;
    if (::getpeername(fd, reinterpret_cast<sockaddr *>(&peer), &peerLength) == 0) {
        QHostAddress address(reinterpret_cast<const sockaddr *>(&peer));
        bool v4 = false; // ::ffff:a.b.c.d on a dual-stack socket is the IPv4 client a.b.c.d
        if (const quint32 ip = address.toIPv4Address(&v4); v4)
            address = QHostAddress(ip);
        m_peerAddress = address.toString().toLatin1();
    }
    m_read = new QSocketNotifier(fd, QSocketNotifier::Read, this);
    m_write = new QSocketNotifier(fd, QSocketNotifier::Write, this);
    m_read->setEnabled(false);
    m_write->setEnabled(false);
    connect(m_read, &QSocketNotifier::activated, this, [this] { pump(); });
    connect(m_write, &QSocketNotifier::activated, this, [this] { pump(); });
    wantRead(true);
}

HttpConnection::~HttpConnection()
{
    // The host stopping mid-body: the handler keeps what arrived.
    if (m_handler && m_state == State::Body)
        m_handler->abandon();
    if (m_fileFd >= 0)
        ::close(m_fileFd);
    if (m_fd >= 0)
        ::close(m_fd);
}

void HttpConnection::wantRead(bool on)
{
    if (m_reading != on) {
        m_reading = on;
        m_read->setEnabled(on);
    }
}

void HttpConnection::wantWrite(bool on)
{
    if (m_writing != on) {
        m_writing = on;
        m_write->setEnabled(on);
    }
}

bool HttpConnection::betweenRequests() const
{
    return m_state == State::Head;
}

bool HttpConnection::idle() const
{
    return m_state == State::Head && m_headStarted < 0;
}

void HttpConnection::closeNow()
{
    if (m_state == State::Closed)
        return;
    if (m_handler && m_state == State::Body)
        m_handler->abandon();
    m_handler.reset();
    endStream();
    m_state = State::Closed;
    wantRead(false);
    wantWrite(false);
    if (m_fd >= 0)
        ::close(m_fd);
    m_fd = -1;
    m_server->forget(this);
    deleteLater();
}

void HttpConnection::checkDeadline(qint64 now)
{
    const HttpLimits &limits = m_server->limits();
    switch (m_state) {
    case State::Head:
        if (m_headStarted >= 0 && now - m_headStarted > limits.headTimeoutMs) {
            refuse(408, QStringLiteral("The request head did not arrive within %1 s.").arg(qMax(1, limits.headTimeoutMs / 1000)));
            pump(); // called from the sweep, not by a socket event: write the 408 now
        } else if (m_headStarted < 0 && now - m_lastActivity > (m_sequence == 0 ? limits.headTimeoutMs : limits.keepAliveIdleMs)) {
            // A new connection that sends nothing has the head's time (nginx's
            // client_header_timeout); a kept-alive one the idle time. Nothing to answer.
            closeNow();
        }
        break;
    case State::Body:
        if (!m_bodyPaused && now - m_lastActivity > limits.bodyStallTimeoutMs)
            closeNow(); // the handler keeps the bytes that arrived (abandon)
        break;
    case State::Write:
        if (now - m_lastActivity > limits.sendStallTimeoutMs)
            closeNow();
        break;
    case State::Drain:
        if (now - m_lastActivity > kDrainMs)
            closeNow();
        break;
    case State::Answer: // the handler's work (image processing, a TikTok lookup) decides
    case State::Closed:
        break;
    }
}

void HttpConnection::consume(qsizetype n)
{
    m_inPos += n;
    if (m_inPos == m_in.size()) {
        m_in.resize(0); // keeps the capacity for the next request
        m_inPos = 0;
    } else if (m_inPos > 64 * 1024) {
        m_in.remove(0, m_inPos);
        m_inPos = 0;
    }
}

bool HttpConnection::readInput()
{
    const qsizetype old = m_in.size();
    m_in.resize(old + kReadPiece);
    const ssize_t n = ::recv(m_fd, m_in.data() + old, size_t(kReadPiece), MSG_DONTWAIT);
    m_in.resize(old + qMax<ssize_t>(n, 0));
    if (n > 0) {
        m_lastActivity = m_server->now();
        return true;
    }
    if (n < 0 && wouldBlock())
        return false;
    // The peer closed (or the socket failed): between requests that is normal.
    closeNow();
    return false;
}

void HttpConnection::pump()
{
    if (m_inPump)
        return; // the running loop picks up the change
    m_inPump = true;
    m_blockedOnWrite = false;
    bool progress = true;
    while (progress) {
        switch (m_state) {
        case State::Head:
            progress = takeHead() || readInput();
            break;
        case State::Body:
            progress = feedBody();
            break;
        case State::Write:
            progress = writeOut();
            break;
        case State::Drain:
            drain();
            progress = false;
            break;
        case State::Answer:
        case State::Closed:
            progress = false;
            break;
        }
    }
    m_inPump = false;
    if (m_state == State::Closed)
        return;
    // Level-triggered notifiers: reading stays on while we want bytes (every path
    // above returns only once the socket is drained or we yield on purpose), and
    // is off while an answer is pending, so pipelined bytes wait in the kernel.
    wantRead(m_state == State::Head || (m_state == State::Body && !m_bodyPaused) || m_state == State::Drain);
    wantWrite(m_state == State::Write && m_blockedOnWrite);
}

bool HttpConnection::takeHead()
{
    // RFC 9112 §2.2: ignore empty lines before a request line.
    while (available() > 0 && (m_in.at(m_inPos) == '\r' || m_in.at(m_inPos) == '\n')) {
        if (m_in.at(m_inPos) == '\r' && (available() < 2 || m_in.at(m_inPos + 1) != '\n'))
            break;
        consume(m_in.at(m_inPos) == '\r' ? 2 : 1);
    }
    if (available() == 0)
        return false;
    if (m_headStarted < 0)
        m_headStarted = m_server->now();
    const qsizetype maxHead = m_server->limits().maxHeadBytes;
    const qsizetype end = m_in.indexOf("\r\n\r\n", m_inPos);
    if (end < 0 || end + 4 - m_inPos > maxHead) {
        if (available() >= maxHead) {
            refuse(431, QStringLiteral("The request head is larger than %1 KiB.").arg(maxHead / 1024));
            return true;
        }
        return false;
    }
    const qsizetype length = end + 4 - m_inPos;
    auto parsed = parseRequestHead(QByteArray(m_in.constData() + m_inPos, length));
    consume(length);
    m_headStarted = -1;
    if (!parsed.ok()) {
        refuse(parsed.error().httpStatus, parsed.error().message);
        return true;
    }
    startRequest(std::move(parsed.value()));
    return true;
}

void HttpConnection::startRequest(HttpRequest request)
{
    m_request = std::move(request);
    m_request.peerAddress = m_peerAddress;
    m_haveRequest = true;
    ++m_sequence;
    m_requestStarted = m_server->now();
    m_bodyBytes = 0;
    m_sentBodyBytes = 0;

    Admission admission = m_router->admit(m_request);
    if (m_request.framing == BodyFraming::Length && m_request.contentLength > admission.maxBodyBytes) {
        refuse(413, QStringLiteral("The request body is larger than this endpoint accepts (%1 bytes).")
                        .arg(admission.maxBodyBytes));
        return;
    }
    if (!admission.handler) {
        // Nobody reads this body, so the connection cannot stay framed.
        if (m_request.hasBody())
            admission.response.closeConnection = true;
        respond(std::move(admission.response));
        return;
    }
    if (m_request.framing == BodyFraming::Chunked && !admission.chunkedAllowed) {
        refuse(411, QStringLiteral("Send this body with a Content-Length; chunked transfer encoding is not accepted here."));
        return;
    }
    m_handler = std::move(admission.handler);
    m_bodyPaused = false;
    m_bodyLimit = admission.maxBodyBytes;
    m_bodyRemaining = m_request.framing == BodyFraming::Length ? m_request.contentLength : 0;
    m_chunk = Chunk::Size;
    m_trailerBytes = 0;
    if (m_request.hasBody() && m_request.version == "HTTP/1.1"
        && m_request.header("expect").compare("100-continue", Qt::CaseInsensitive) == 0 && available() == 0) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        // A tiny write into an empty send buffer: it fits; a short write means the peer is gone.
        if (::send(m_fd, cont, sizeof cont - 1, MSG_NOSIGNAL | MSG_DONTWAIT) != ssize_t(sizeof cont - 1)) {
            closeNow();
            return;
        }
    }
    m_state = State::Body;
    m_handler->attach(BodyValve(this, m_sequence));
}

void HttpConnection::pauseBody(quint64 sequence, bool paused)
{
    if (sequence != m_sequence || m_state != State::Body || m_bodyPaused == paused)
        return;
    m_bodyPaused = paused;
    if (paused) {
        wantRead(false);
        return;
    }
    m_lastActivity = m_server->now(); // the stall deadline starts again
    // Not from inside the handler's call: the next event-loop turn takes the body up.
    QMetaObject::invokeMethod(this, [this] { pump(); }, Qt::QueuedConnection);
}

void HttpConnection::answerDuringBody(quint64 sequence, HttpResponse response)
{
    if (sequence != m_sequence || m_state != State::Body)
        return;
    m_state = State::Answer;
    m_bodyPaused = false;
    response.closeConnection = true; // the rest of the body is never read
    respond(std::move(response));
    if (!m_inPump)
        QMetaObject::invokeMethod(this, [this] { pump(); }, Qt::QueuedConnection);
}

Status HttpConnection::deliver(const char *data, qint64 size)
{
    m_bodyBytes += size;
    return m_handler->body(data, size);
}

bool HttpConnection::feedBody()
{
    return m_request.framing == BodyFraming::Chunked ? feedChunkedBody() : feedLengthBody();
}

bool HttpConnection::feedLengthBody()
{
    qint64 taken = 0;
    while (m_bodyRemaining > 0) {
        if (m_state != State::Body)
            return true; // answered early (BodyValve::answerNow): the pump writes it
        if (m_bodyPaused)
            return false; // BodyValve::resume pumps again
        if (available() > 0) {
            const qsizetype n = qsizetype(qMin<qint64>(available(), m_bodyRemaining));
            const char *data = m_in.constData() + m_inPos;
            m_bodyRemaining -= n;
            auto s = deliver(data, n);
            consume(n);
            if (!s.ok()) {
                bodyFailed(HttpResponse::error(s.error().httpStatus ? s.error().httpStatus : 500, s.error().message));
                return true;
            }
            continue;
        }
        if (taken >= kBodyBytesPerTurn)
            return false; // let others have a turn; the level-triggered notifier brings us back
        // Large bodies go straight from the socket into one buffer, not through m_in.
        if (m_bodyBuffer.empty())
            m_bodyBuffer.resize(size_t(qMin<qint64>(kBodyBuffer, m_bodyRemaining)));
        const size_t want = size_t(qMin<qint64>(m_bodyRemaining, qint64(m_bodyBuffer.size())));
        const ssize_t n = ::recv(m_fd, m_bodyBuffer.data(), want, MSG_DONTWAIT);
        if (n < 0 && wouldBlock())
            return false;
        if (n <= 0) {
            closeNow(); // peer gone mid-body: the handler keeps what it must
            return false;
        }
        m_lastActivity = m_server->now();
        taken += n;
        m_bodyRemaining -= n;
        if (auto s = deliver(m_bodyBuffer.data(), n); !s.ok()) {
            bodyFailed(HttpResponse::error(s.error().httpStatus ? s.error().httpStatus : 500, s.error().message));
            return true;
        }
    }
    m_bodyBuffer = {};
    if (m_state == State::Body)
        bodyComplete();
    return true;
}

bool HttpConnection::feedChunkedBody()
{
    const auto malformed = [this] {
        bodyFailed(HttpResponse::error(400, QStringLiteral("The chunked body is malformed.")));
        return true;
    };
    for (;;) {
        if (m_state != State::Body)
            return true; // answered early (BodyValve::answerNow): the pump writes it
        if (m_bodyPaused)
            return false; // BodyValve::resume pumps again
        switch (m_chunk) {
        case Chunk::Size: {
            const qsizetype eol = m_in.indexOf("\r\n", m_inPos);
            if (eol < 0) {
                if (available() > kMaxChunkLine)
                    return malformed();
                return readInput();
            }
            QByteArrayView line(m_in.constData() + m_inPos, eol - m_inPos);
            if (const qsizetype semi = line.indexOf(';'); semi >= 0)
                line = line.first(semi); // chunk extensions are ignored
            line = line.trimmed();
            if (line.isEmpty() || line.size() > 15)
                return malformed();
            qint64 size = 0;
            for (char c : line) {
                const int digit = c >= '0' && c <= '9' ? c - '0'
                                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
                if (digit < 0)
                    return malformed();
                size = size * 16 + digit;
            }
            consume(eol + 2 - m_inPos);
            if (size == 0) {
                m_chunk = Chunk::Trailer;
                break;
            }
            if (m_bodyBytes + size > m_bodyLimit) {
                bodyFailed(HttpResponse::error(413, QStringLiteral("The request body is larger than this endpoint accepts (%1 bytes).")
                                                        .arg(m_bodyLimit)));
                return true;
            }
            m_bodyRemaining = size;
            m_chunk = Chunk::Data;
            break;
        }
        case Chunk::Data: {
            if (available() == 0)
                return readInput();
            const qsizetype n = qsizetype(qMin<qint64>(available(), m_bodyRemaining));
            auto s = deliver(m_in.constData() + m_inPos, n);
            consume(n);
            m_bodyRemaining -= n;
            if (!s.ok()) {
                bodyFailed(HttpResponse::error(s.error().httpStatus ? s.error().httpStatus : 500, s.error().message));
                return true;
            }
            if (m_bodyRemaining == 0)
                m_chunk = Chunk::DataEnd;
            break;
        }
        case Chunk::DataEnd:
            if (available() < 2)
                return readInput();
            if (m_in.at(m_inPos) != '\r' || m_in.at(m_inPos + 1) != '\n')
                return malformed();
            consume(2);
            m_chunk = Chunk::Size;
            break;
        case Chunk::Trailer: {
            // Trailer fields are read and dropped; an empty line ends the body.
            const qsizetype eol = m_in.indexOf("\r\n", m_inPos);
            if (eol < 0) {
                if (available() + m_trailerBytes > m_server->limits().maxHeadBytes)
                    return malformed();
                return readInput();
            }
            const qsizetype length = eol - m_inPos;
            m_trailerBytes += length + 2;
            consume(length + 2);
            if (length == 0) {
                bodyComplete();
                return true;
            }
            if (m_trailerBytes > m_server->limits().maxHeadBytes)
                return malformed();
            break;
        }
        }
    }
}

void HttpConnection::bodyComplete()
{
    m_state = State::Answer;
    // The handler may answer inside end(); the pump loop then writes it.
    m_handler->end(Responder(this, m_sequence));
}

void HttpConnection::bodyFailed(HttpResponse response)
{
    // The handler refused the rest: what it received is its to keep or undo.
    m_handler->abandon();
    m_state = State::Answer;
    response.closeConnection = true;
    respond(std::move(response));
}

void HttpConnection::refuse(int status, const QString &message)
{
    if (m_handler && m_state == State::Body)
        m_handler->abandon();
    m_state = State::Answer;
    HttpResponse r = HttpResponse::error(status, message);
    r.closeConnection = true;
    respond(std::move(r));
}

void HttpConnection::answer(quint64 sequence, HttpResponse response)
{
    if (sequence != m_sequence || m_state != State::Answer)
        return;
    respond(std::move(response));
    if (!m_inPump)
        pump();
}

void HttpConnection::respond(HttpResponse response)
{
    const HttpRequest *request = m_haveRequest ? &m_request : nullptr;
    m_router->decorate(request, response);
    m_status = response.status;
    m_close = response.closeConnection || !request || !request->wantsKeepAlive();
    const bool headOnly = request && request->method == "HEAD";

    qint64 contentLength = response.body.size();
    if (!response.filePath.isEmpty()) {
        m_fileFd = ::open(QFile::encodeName(response.filePath).constData(), O_RDONLY | O_CLOEXEC);
        if (m_fileFd < 0) {
            response = HttpResponse::error(500, QStringLiteral("The host could not open the file."));
            m_router->decorate(request, response);
            m_status = 500;
            contentLength = response.body.size();
        } else {
            contentLength = response.fileLength;
            m_filePos = response.fileOffset;
            m_fileRemaining = headOnly ? 0 : response.fileLength;
        }
    } else if (response.streamed) {
        m_streamed = std::move(response.streamed);
        contentLength = response.fileLength;
        m_fileRemaining = headOnly ? 0 : response.fileLength;
        m_streamPos = m_streamEnd = 0;
    }
    // Sized first, then copied into the connection's kept buffer: no temporaries, no
    // growth, and no allocation at all for small answers after the first.
    char statusDigits[24], lengthDigits[24];
    const QByteArrayView statusText(statusDigits, std::to_chars(statusDigits, statusDigits + 24, response.status).ptr - statusDigits);
    const QByteArrayView lengthText(lengthDigits, std::to_chars(lengthDigits, lengthDigits + 24, contentLength).ptr - lengthDigits);
    const QByteArrayView reason = reasonPhrase(response.status);
    const bool withLength = response.status != 204 && response.status != 304;
    const QByteArrayView connection = m_close ? QByteArrayView("Connection: close\r\n\r\n")
                                              : QByteArrayView("Connection: keep-alive\r\n\r\n");
    const bool withBody = !headOnly && m_fileFd < 0 && !m_streamed;
    qsizetype size = 9 + statusText.size() + 1 + reason.size() + 2 + connection.size();
    for (const auto &h : response.headers)
        size += h.first.size() + 2 + h.second.size() + 2;
    if (withLength)
        size += 16 + lengthText.size() + 2;
    if (withBody)
        size += response.body.size();
    m_out.resize(size);
    char *at = m_out.data();
    const auto put = [&at](QByteArrayView piece) {
        if (!piece.isEmpty())
            std::memcpy(at, piece.data(), size_t(piece.size()));
        at += piece.size();
    };
    put("HTTP/1.1 ");
    put(statusText);
    put(" ");
    put(reason);
    put("\r\n");
    for (const auto &h : response.headers) {
        put(h.first);
        put(": ");
        put(h.second);
        put("\r\n");
    }
    if (withLength) {
        put("Content-Length: ");
        put(lengthText);
        put("\r\n");
    }
    put(connection);
    if (withBody) {
        put(response.body);
        m_sentBodyBytes = response.body.size();
    }
    Q_ASSERT(at == m_out.constData() + m_out.size());
    m_outPos = 0;
    m_state = State::Write;
    // Logged before the answer leaves: a client reacting to it (and its test)
    // finds the entry already there. Streamed files and bodies log when sent.
    if (m_fileFd < 0 && !m_streamed)
        log();
}

bool HttpConnection::writeOut()
{
    // One send's outcome: bytes moved, or stop: the socket is full (wait for the
    // write notifier) or gone, or the file failed or shrank under us (the peer sees
    // a short body and the close).
    const auto moved = [this](ssize_t n) {
        if (n > 0) {
            m_lastActivity = m_server->now();
            return true;
        }
        if (n < 0 && wouldBlock())
            m_blockedOnWrite = true;
        else
            closeNow();
        return false;
    };
    while (m_outPos < m_out.size()) {
        const ssize_t n = ::send(m_fd, m_out.constData() + m_outPos, size_t(m_out.size() - m_outPos),
                                 MSG_NOSIGNAL | MSG_DONTWAIT);
        if (!moved(n))
            return false;
        m_outPos += n;
    }
    while (m_streamed && m_fileRemaining > 0) {
        if (m_streamPos == m_streamEnd) {
            if (m_streamBuffer.empty())
                m_streamBuffer.resize(64 * 1024);
            const ssize_t n = ::recv(m_streamed->fd(), m_streamBuffer.data(),
                                     size_t(qMin<qint64>(m_fileRemaining, qint64(m_streamBuffer.size()))), MSG_DONTWAIT);
            if (n < 0 && wouldBlock()) {
                waitForStream(); // the producer has not written more yet
                return false;
            }
            if (n <= 0) {
                closeNow(); // the producer failed: the client sees a short body and the close
                return false;
            }
            m_streamPos = 0;
            m_streamEnd = n;
        }
        const ssize_t n = ::send(m_fd, m_streamBuffer.data() + m_streamPos, size_t(m_streamEnd - m_streamPos),
                                 MSG_NOSIGNAL | MSG_DONTWAIT);
        if (!moved(n))
            return false;
        m_streamPos += n;
        m_fileRemaining -= n;
        m_sentBodyBytes += n;
    }
    while (m_fileRemaining > 0) {
        off_t offset = off_t(m_filePos);
        const ssize_t n = ::sendfile(m_fd, m_fileFd, &offset, size_t(qMin<qint64>(m_fileRemaining, 4 * 1024 * 1024)));
        if (!moved(n))
            return false;
        m_filePos += n;
        m_fileRemaining -= n;
        m_sentBodyBytes += n;
    }
    finishResponse();
    return true;
}

void HttpConnection::waitForStream()
{
    if (!m_streamReady) {
        m_streamReady = new QSocketNotifier(m_streamed->fd(), QSocketNotifier::Read, this);
        connect(m_streamReady, &QSocketNotifier::activated, this, [this] {
            m_streamReady->setEnabled(false);
            m_lastActivity = m_server->now();
            pump();
        });
    }
    m_streamReady->setEnabled(true);
}

void HttpConnection::endStream()
{
    delete m_streamReady; // before its socket closes
    m_streamReady = nullptr;
    m_streamed.reset();
    m_streamBuffer = {};
}

void HttpConnection::finishResponse()
{
    if (m_fileFd >= 0) {
        log();
        ::close(m_fileFd);
        m_fileFd = -1;
    }
    if (m_streamed) {
        log();
        endStream();
    }
    m_handler.reset();
    if (m_out.capacity() > kKeptOutBytes)
        m_out = QByteArray(); // a large answer's buffer is not kept
    else
        m_out.resize(0);
    m_outPos = 0;
    if (m_close) {
        // Lingering close: stop sending, read and drop what the peer still sends
        // (e.g. a refused body) until it closes, so it reads our answer, not a reset.
        ::shutdown(m_fd, SHUT_WR);
        m_in.clear();
        m_inPos = 0;
        m_state = State::Drain;
        m_lastActivity = m_server->now();
        return;
    }
    m_state = State::Head;
    m_haveRequest = false;
    m_lastActivity = m_server->now();
    m_headStarted = available() > 0 ? m_lastActivity : -1;
}

void HttpConnection::drain()
{
    char sink[16384];
    for (int i = 0; i < 64; ++i) {
        const ssize_t n = ::recv(m_fd, sink, sizeof sink, MSG_DONTWAIT);
        if (n > 0)
            continue;
        if (n < 0 && wouldBlock())
            return;
        closeNow();
        return;
    }
}

void HttpConnection::log()
{
    HttpLogEntry entry;
    entry.method = m_haveRequest ? m_request.method : QByteArray("?");
    entry.path = m_haveRequest ? m_request.path() : QByteArray("?");
    entry.status = m_status;
    entry.bytes = m_bodyBytes + m_sentBodyBytes;
    entry.durationMs = m_haveRequest ? m_server->now() - m_requestStarted : 0;
    m_router->logged(entry);
}

} // namespace deso::host
