#pragma once
// The host's front door: one HTTP/1.1 server for every request on its port.
// Modelled on qBittorrent's base/http (server, connection, request parser,
// response writer) and on nginx's defaults for the limits, which are decided
// here, once: head size and time, body stalls, idle keep-alive, connections.
//
// Why not QHttpServer: Qt 6.4's reads every body whole into memory before a
// handler runs (no bound, ~2x the body in RAM), knows no Expect: 100-continue,
// and cannot keep a connection alive without buffering the next body, so the
// host had to close every connection after one answer; see README "The front door".

#include "host/http/httphandler.h"
#include "host/http/httplimits.h"

#include <QElapsedTimer>
#include <QTcpServer>
#include <QTimer>

#include <list>

namespace deso::host {

class HttpServer : public QTcpServer {
    Q_OBJECT
public:
    HttpServer(HttpRouter *router, HttpLimits limits, QObject *parent = nullptr);
    ~HttpServer() override;

    const HttpLimits &limits() const { return m_limits; }
    int connectionCount() const { return int(m_connections.size()); }
    // Milliseconds on the server's monotonic clock (for connection deadlines).
    qint64 now() const { return m_clock.elapsed(); }

protected:
    void incomingConnection(qintptr fd) override;

private:
    friend class HttpConnection;
    void forget(HttpConnection *connection);
    void sweep();
    void makeRoom();

    HttpRouter *m_router;
    HttpLimits m_limits;
    QElapsedTimer m_clock;
    QTimer m_sweep;
    std::list<HttpConnection *> m_connections; // oldest first
};

} // namespace deso::host
