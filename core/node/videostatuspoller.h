#pragma once
// Watches one video until it can stream: asks get-video-status every 500 ms at first,
// backing off to a cap, and stops on ReadyToStream, on an error state, on a refusal,
// or after a timeout (10 minutes by default, as the web client did).

#include "common/result.h"
#include "node/nodeclient.h"

#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QTimer>

namespace deso::node {

struct PollOptions {
    int initialIntervalMs = 500;
    double backoffFactor = 1.5;
    int maxIntervalMs = 5000;
    int timeoutMs = 10 * 60 * 1000;
    // Network errors in a row tolerated before giving up (a node restarting, a blip).
    int maxConsecutiveNetworkErrors = 5;

    // The deso-protocol SDK's pollForVideoReady against a media server: every 300 ms for 5 minutes.
    static PollOptions mediaServerCadence()
    {
        PollOptions o;
        o.initialIntervalMs = 300;
        o.backoffFactor = 1.0;
        o.maxIntervalMs = 300;
        o.timeoutMs = 5 * 60 * 1000;
        return o;
    }
};

class VideoStatusPoller : public QObject {
    Q_OBJECT
public:
    VideoStatusPoller(NodeClient *client, QString videoId, PollOptions options = {}, QObject *parent = nullptr);

    QString videoId() const { return m_videoId; }
    bool isRunning() const { return m_running; }
    int pollCount() const { return m_polls; }
    // The delay before the next poll (grows by backoffFactor up to maxIntervalMs).
    int currentIntervalMs() const { return m_intervalMs; }

public slots:
    void start();
    void stop();

signals:
    void statusReceived(const deso::node::VideoStatus &status); // every answer
    void ready(const deso::node::VideoStatus &status);
    // An error state, a refusal by the node, too many network errors, or the timeout.
    void failed(const deso::Error &error);

private:
    void poll();
    void finish();

    QPointer<NodeClient> m_client;
    QString m_videoId;
    PollOptions m_options;
    QTimer m_timer;
    QElapsedTimer m_elapsed;
    QObject *m_requestContext = nullptr; // dropping it drops the answer of a stopped poll
    bool m_running = false;
    int m_polls = 0;
    int m_intervalMs = 0;
    int m_networkErrors = 0;
};

} // namespace deso::node
