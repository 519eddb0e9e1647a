#include "host/http/httpserver.h"

#include "host/http/httpconnection.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace deso::host {

HttpServer::HttpServer(HttpRouter *router, HttpLimits limits, QObject *parent)
    : QTcpServer(parent), m_router(router), m_limits(limits)
{
    m_clock.start();
    // One coarse timer checks every connection's deadline, instead of a timer
    // per connection restarted on every byte.
    m_sweep.setInterval(1000);
    connect(&m_sweep, &QTimer::timeout, this, [this] { sweep(); });
    m_sweep.start();
}

HttpServer::~HttpServer()
{
    close();
    // Connections are children; deleting them closes their sockets, and a body
    // mid-stream is abandoned to its handler, which keeps what arrived.
    const auto connections = m_connections;
    m_connections.clear();
    for (HttpConnection *c : connections)
        delete c;
}

void HttpServer::incomingConnection(qintptr fd)
{
    const int flags = ::fcntl(int(fd), F_GETFL);
    ::fcntl(int(fd), F_SETFL, flags | O_NONBLOCK);
    const int one = 1;
    ::setsockopt(int(fd), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); // answers are written whole
    if (connectionCount() >= m_limits.maxConnections)
        makeRoom();
    if (connectionCount() >= m_limits.maxConnections) {
        ::close(int(fd)); // everyone is mid-request: nobody to drop for this one
        return;
    }
    auto *connection = new HttpConnection(int(fd), this, m_router);
    m_connections.push_back(connection);
    connection->position = std::prev(m_connections.end());
}

void HttpServer::forget(HttpConnection *connection)
{
    if (connection->position != std::list<HttpConnection *>::iterator()) {
        m_connections.erase(connection->position);
        connection->position = {};
    }
}

void HttpServer::makeRoom()
{
    // Who goes, so that a well-behaved new client gets in: a connection already
    // answered and lingering to close; else the connection idle longest (kept
    // alive, no byte of a next request) if it has been idle a while; else the
    // one that has been dribbling its head longest. A connection idle only for a
    // moment (an active keep-alive client between two requests, or one just
    // accepted) is never closed for a newcomer: the newcomer is refused instead.
    constexpr qint64 kBrieflyIdleMs = 1000;
    const qint64 t = now();
    HttpConnection *longestIdle = nullptr;
    HttpConnection *slowestHead = nullptr;
    for (HttpConnection *c : m_connections) {
        if (c->lingering()) {
            c->closeNow();
            return;
        }
        if (c->idle()) {
            if (!longestIdle || c->lastActivity() < longestIdle->lastActivity())
                longestIdle = c;
        } else if (c->betweenRequests()) {
            if (!slowestHead || c->headStarted() < slowestHead->headStarted())
                slowestHead = c;
        }
    }
    HttpConnection *victim = longestIdle && t - longestIdle->lastActivity() >= kBrieflyIdleMs ? longestIdle : slowestHead;
    if (victim)
        victim->closeNow();
}

void HttpServer::sweep()
{
    const qint64 t = now();
    // closeNow() erases from the list: walk a copy.
    const auto connections = m_connections;
    for (HttpConnection *c : connections)
        c->checkDeadline(t);
}

} // namespace deso::host
