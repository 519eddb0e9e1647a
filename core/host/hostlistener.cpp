#include "host/hostlistener.h"

#include "host/rawconnection.h"

#include <QPointer>
#include <QSocketNotifier>
#include <QTcpSocket>
#include <QTimer>

#include <cerrno>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace deso::host {

// Waits for a connection's next request head and decides who serves it, without
// consuming a byte (MSG_PEEK), so QHttpServer later reads the request intact.
class RequestSniffer : public QObject {
public:
    RequestSniffer(qintptr fd, HostListener *listener)
        : QObject(listener), m_fd(fd), m_listener(listener)
    {
        m_notifier = new QSocketNotifier(fd, QSocketNotifier::Read, this);
        connect(m_notifier, &QSocketNotifier::activated, this, [this] { onReadable(); });
        // An idle kept-alive connection is closed after a while, like any server does.
        m_idle.setSingleShot(true);
        connect(&m_idle, &QTimer::timeout, this, [this] { closeAndDelete(); });
        m_idle.start(120 * 1000);
        m_retry.setSingleShot(true);
        connect(&m_retry, &QTimer::timeout, this, [this] {
            m_notifier->setEnabled(true);
            onReadable();
        });
    }

    ~RequestSniffer() override
    {
        if (m_fd >= 0)
            ::close(int(m_fd));
    }

private:
    void onReadable()
    {
        char buf[kMaxRequestHeadBytes];
        const ssize_t n = ::recv(int(m_fd), buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
        if (n == 0) {
            closeAndDelete(); // peer closed between requests
            return;
        }
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                closeAndDelete();
            return;
        }
        QByteArray peeked(buf, n);
        // RFC 9112 §2.2: ignore empty lines before a request line.
        if (peeked.startsWith("\r\n") || peeked.startsWith('\n')) {
            char sink[2];
            (void)::recv(int(m_fd), sink, peeked.startsWith("\r\n") ? 2 : 1, MSG_DONTWAIT);
            onReadable();
            return;
        }
        const qsizetype end = peeked.indexOf("\r\n\r\n");
        if (end < 0) {
            if (n == qsizetype(sizeof buf)) {
                handOver(true); // the raw reader answers 431 for an oversized head
                return;
            }
            // Partial head: the data stays queued, so a level-triggered notifier
            // would spin; look again shortly instead.
            m_notifier->setEnabled(false);
            m_retry.start(5);
            return;
        }
        auto head = parseRequestHead(peeked.left(end + 4));
        if (!head.ok()) {
            handOver(true); // the raw reader answers 400 and closes
            return;
        }
        const bool raw = m_listener->m_router->isRawRoute(head.value());
        if (!raw && head->header("expect").toLower() == "100-continue") {
            // QHttpServer 6.4 ignores Expect, which makes curl wait a second
            // before sending a form; the body is within bounds, so ask for it.
            static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
            (void)::send(int(m_fd), cont, sizeof cont - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        }
        handOver(raw);
    }

    void handOver(bool raw)
    {
        const qintptr fd = m_fd;
        m_fd = -1;
        m_notifier->setEnabled(false);
        m_idle.stop();
        m_retry.stop();
        deleteLater();
        if (raw)
            m_listener->toRaw(fd);
        else
            m_listener->toHttpServer(fd);
    }

    void closeAndDelete()
    {
        m_notifier->setEnabled(false);
        m_idle.stop();
        m_retry.stop();
        if (m_fd >= 0)
            ::close(int(m_fd));
        m_fd = -1;
        deleteLater();
    }

    qintptr m_fd;
    HostListener *m_listener;
    QSocketNotifier *m_notifier;
    QTimer m_idle;
    QTimer m_retry;
};

HostListener::HostListener(RawRouter *router, QObject *parent) : QTcpServer(parent), m_router(router)
{
}

HostListener::~HostListener() = default;

void HostListener::incomingConnection(qintptr fd)
{
    const int flags = ::fcntl(int(fd), F_GETFL);
    ::fcntl(int(fd), F_SETFL, flags | O_NONBLOCK);
    dispatch(fd);
}

void HostListener::dispatch(qintptr fd)
{
    new RequestSniffer(fd, this);
}

void HostListener::toHttpServer(qintptr fd)
{
    auto *socket = new QTcpSocket(this);
    if (!socket->setSocketDescriptor(fd)) {
        ::close(int(fd));
        delete socket;
        return;
    }
    // QAbstractHttpServer listens to pendingConnectionAvailable, which this emits.
    addPendingConnection(socket);
}

void HostListener::toRaw(qintptr fd)
{
    new RawConnection(fd, this, m_router);
}

} // namespace deso::host
