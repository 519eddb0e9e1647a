#pragma once
// A loopback TCP proxy that forwards connections to an upstream server and can cut them
// at chosen byte offsets of the client -> server stream: the way to make a real server
// see a PATCH body end early, as a dropped mobile or Wi-Fi connection does.
//
//   CuttingProxy proxy;
//   proxy.start(upstreamPort);
//   proxy.cutAfter({3'000'000, 9'000'000}, 3); // counted from now, over all connections
//   ... point the client at proxy.url() ...
//
// Given several upstreams it is a round-robin load balancer: each new connection
// goes to the next one, and an upstream that refuses the connection is skipped
// (a killed instance), as haproxy/nginx do.

#include <QHostAddress>
#include <QList>
#include <QObject>
#include <QTcpServer>
#include <QUrl>

class QTcpSocket;

class CuttingProxy : public QObject {
    Q_OBJECT
public:
    explicit CuttingProxy(QObject *parent = nullptr);
    ~CuttingProxy() override;

    // Listens on 127.0.0.1 (any free port) and forwards to upstream.
    bool start(quint16 upstreamPort, const QHostAddress &upstream = QHostAddress::LocalHost);
    // Round robin over several loopback upstreams.
    bool startRoundRobin(const QList<quint16> &upstreamPorts);
    quint16 port() const { return m_server.serverPort(); }
    QUrl url() const;

    // Cut every open connection when the client -> server byte count (counted from this
    // call, over all connections) reaches each offset, in order; after each cut, refuse the
    // next `refuseAfterCut` connections (a link that stays down for a moment). Qt's HTTP
    // stack silently resends a request once or twice on a fresh connection, so a client's
    // own retry logic is only exercised when the link stays down longer than that.
    void cutAfter(QList<qint64> offsets, int refuseAfterCut = 0);
    // While held, client -> server bytes wait in the proxy, on every connection (a
    // server that seems to hang); releasing sends them on. heldBytes(): waiting now.
    void hold(bool on);
    qint64 heldBytes() const;
    // Refuse (close at once) the next `count` connections.
    void refuseNext(int count) { m_refuse = count; }

    qint64 bytesUpstream() const { return m_bytesUpstream; }
    qint64 bytesDownstream() const { return m_bytesDownstream; } // server -> client, all connections
    int cutsDone() const { return m_cutsDone; }
    int connectionsSeen() const { return m_connections; }
    // The upstream port that most recently received client bytes (0: none yet).
    quint16 lastActiveUpstream() const { return m_lastActive; }

signals:
    void cut(qint64 atByte);

private:
    struct Pair;
    void onNewConnection();
    void connectUpstream(Pair *pair);
    void forwardUp(Pair *pair);
    void cutAll();
    void drop(Pair *pair, bool cut);

    QTcpServer m_server;
    QHostAddress m_upstream;
    QList<quint16> m_upstreamPorts;
    int m_nextUpstream = 0;
    quint16 m_lastActive = 0;
    QList<Pair *> m_pairs;
    QList<qint64> m_cuts; // absolute values of m_bytesUpstream
    qint64 m_bytesUpstream = 0;
    qint64 m_bytesDownstream = 0;
    int m_cutsDone = 0;
    int m_connections = 0;
    int m_refuse = 0;
    int m_refuseAfterCut = 0;
    bool m_held = false;
};
