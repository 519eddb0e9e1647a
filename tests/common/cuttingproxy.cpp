#include "cuttingproxy.h"

#include <QTcpSocket>

struct CuttingProxy::Pair {
    QTcpSocket *client = nullptr;
    QTcpSocket *upstream = nullptr;
    QByteArray pending; // client bytes that arrived before upstream connected
    quint16 port = 0;
    int attempts = 0;   // upstreams tried for this connection
};

CuttingProxy::CuttingProxy(QObject *parent) : QObject(parent)
{
    connect(&m_server, &QTcpServer::newConnection, this, &CuttingProxy::onNewConnection);
}

CuttingProxy::~CuttingProxy()
{
    const QList<Pair *> pairs = m_pairs;
    for (Pair *pair : pairs)
        drop(pair, true);
}

bool CuttingProxy::start(quint16 upstreamPort, const QHostAddress &upstream)
{
    m_upstream = upstream;
    m_upstreamPorts = {upstreamPort};
    return m_server.listen(QHostAddress::LocalHost, 0);
}

bool CuttingProxy::startRoundRobin(const QList<quint16> &upstreamPorts)
{
    m_upstream = QHostAddress::LocalHost;
    m_upstreamPorts = upstreamPorts;
    return !upstreamPorts.isEmpty() && m_server.listen(QHostAddress::LocalHost, 0);
}

void CuttingProxy::connectUpstream(Pair *pair)
{
    pair->port = m_upstreamPorts[m_nextUpstream++ % m_upstreamPorts.size()];
    ++pair->attempts;
    pair->upstream->connectToHost(m_upstream, pair->port);
}

QUrl CuttingProxy::url() const
{
    return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port()));
}

void CuttingProxy::cutAfter(QList<qint64> offsets, int refuseAfterCut)
{
    m_refuseAfterCut = refuseAfterCut;
    std::sort(offsets.begin(), offsets.end());
    m_cuts.clear();
    for (qint64 offset : offsets)
        m_cuts << m_bytesUpstream + offset;
}

void CuttingProxy::onNewConnection()
{
    while (QTcpSocket *client = m_server.nextPendingConnection()) {
        ++m_connections;
        if (m_refuse > 0) {
            --m_refuse;
            client->abort();
            client->deleteLater();
            continue;
        }
        auto *pair = new Pair;
        pair->client = client;
        pair->upstream = new QTcpSocket(this);
        m_pairs << pair;
        connect(client, &QTcpSocket::readyRead, this, [this, pair] { forwardUp(pair); });
        connect(client, &QTcpSocket::disconnected, this, [this, pair] { drop(pair, false); });
        connect(pair->upstream, &QTcpSocket::connected, this, [this, pair] { forwardUp(pair); });
        connect(pair->upstream, &QTcpSocket::readyRead, this, [this, pair] {
            const QByteArray down = pair->upstream->readAll();
            m_bytesDownstream += down.size();
            pair->client->write(down);
        });
        connect(pair->upstream, &QTcpSocket::disconnected, this, [this, pair] { drop(pair, false); });
        connect(pair->upstream, &QTcpSocket::errorOccurred, this, [this, pair](QAbstractSocket::SocketError error) {
            // A refused upstream (a stopped instance) is skipped while others remain.
            if (error == QAbstractSocket::ConnectionRefusedError && pair->attempts < m_upstreamPorts.size()) {
                pair->upstream->abort();
                connectUpstream(pair);
                return;
            }
            drop(pair, false);
        });
        connectUpstream(pair);
    }
}

void CuttingProxy::hold(bool on)
{
    m_held = on;
    if (on)
        return;
    const QList<Pair *> pairs = m_pairs;
    for (Pair *pair : pairs) {
        if (m_pairs.contains(pair))
            forwardUp(pair);
    }
}

qint64 CuttingProxy::heldBytes() const
{
    qint64 held = 0;
    for (const Pair *pair : m_pairs)
        held += pair->pending.size() + (m_held ? pair->client->bytesAvailable() : 0);
    return held;
}

void CuttingProxy::forwardUp(Pair *pair)
{
    pair->pending += pair->client->readAll();
    if (m_held || pair->upstream->state() != QAbstractSocket::ConnectedState || pair->pending.isEmpty())
        return;
    QByteArray data = std::move(pair->pending);
    pair->pending.clear();
    if (!m_cuts.isEmpty() && m_bytesUpstream + data.size() >= m_cuts.first()) {
        // Deliver the bytes up to the cut, then drop every connection as a dead link would.
        const qint64 keep = m_cuts.first() - m_bytesUpstream;
        pair->upstream->write(data.constData(), keep);
        pair->upstream->flush();
        m_bytesUpstream += keep;
        const qint64 at = m_cuts.takeFirst();
        ++m_cutsDone;
        m_refuse += m_refuseAfterCut;
        cutAll();
        emit cut(at);
        return;
    }
    m_bytesUpstream += data.size();
    m_lastActive = pair->port;
    pair->upstream->write(data);
}

void CuttingProxy::cutAll()
{
    const QList<Pair *> pairs = m_pairs;
    for (Pair *pair : pairs)
        drop(pair, true);
}

void CuttingProxy::drop(Pair *pair, bool cut)
{
    if (!m_pairs.removeOne(pair))
        return;
    pair->client->disconnect(this);
    pair->upstream->disconnect(this);
    if (pair->upstream->bytesAvailable() > 0)
        pair->client->write(pair->upstream->readAll());
    if (cut) {
        // The client sees a reset; the server gets the bytes up to the cut, then the end
        // of the stream, so it holds a short body.
        pair->client->abort();
        pair->upstream->disconnectFromHost();
    } else {
        // One side closed: let the other side's written bytes drain, then close.
        pair->client->disconnectFromHost();
        pair->upstream->disconnectFromHost();
    }
    connect(pair->client, &QTcpSocket::disconnected, pair->client, &QObject::deleteLater);
    connect(pair->upstream, &QTcpSocket::disconnected, pair->upstream, &QObject::deleteLater);
    if (pair->client->state() == QAbstractSocket::UnconnectedState)
        pair->client->deleteLater();
    if (pair->upstream->state() == QAbstractSocket::UnconnectedState)
        pair->upstream->deleteLater();
    delete pair;
}
