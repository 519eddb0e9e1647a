#include "node/videostatuspoller.h"

#include "node/httperror.h"

namespace deso::node {

VideoStatusPoller::VideoStatusPoller(NodeClient *client, QString videoId, PollOptions options, QObject *parent)
    : QObject(parent), m_client(client), m_videoId(std::move(videoId)), m_options(options)
{
    qRegisterMetaType<deso::node::VideoStatus>();
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &VideoStatusPoller::poll);
}

void VideoStatusPoller::start()
{
    if (m_running)
        return;
    m_running = true;
    m_polls = 0;
    m_networkErrors = 0;
    m_intervalMs = m_options.initialIntervalMs;
    m_elapsed.start();
    poll();
}

void VideoStatusPoller::stop()
{
    finish();
}

void VideoStatusPoller::finish()
{
    m_running = false;
    m_timer.stop();
    delete m_requestContext;
    m_requestContext = nullptr;
}

void VideoStatusPoller::poll()
{
    if (!m_running)
        return;
    if (!m_client) {
        finish();
        emit failed(Error(QStringLiteral("poll.no_client"), QStringLiteral("The node client is gone.")));
        return;
    }
    ++m_polls;
    delete m_requestContext;
    m_requestContext = new QObject(this);
    m_client->getVideoStatus(m_videoId, m_requestContext, [this](Result<VideoStatus> result) {
        m_requestContext->deleteLater();
        m_requestContext = nullptr;
        if (!m_running)
            return;
        if (!result) {
            if (!isNetworkError(result.error()) || ++m_networkErrors > m_options.maxConsecutiveNetworkErrors) {
                finish();
                emit failed(result.error());
                return;
            }
        } else {
            m_networkErrors = 0;
            const VideoStatus &status = result.value();
            emit statusReceived(status);
            if (status.readyToStream) {
                finish();
                emit ready(status);
                return;
            }
            if (status.isError()) {
                finish();
                QString sentence = QStringLiteral("The video %1 cannot be streamed").arg(m_videoId);
                if (!status.errorCode.isEmpty())
                    sentence += QStringLiteral(": ") + status.errorCode;
                if (!status.errorMessage.isEmpty())
                    sentence += QStringLiteral(" (") + status.errorMessage + QStringLiteral(")");
                emit failed(Error(QStringLiteral("video.error_state"), sentence + QLatin1Char('.')));
                return;
            }
        }
        const qint64 left = qint64(m_options.timeoutMs) - m_elapsed.elapsed();
        if (left <= 0) {
            finish();
            emit failed(Error(QStringLiteral("video.timeout"),
                              QStringLiteral("The video %1 was not ready to stream after %2 seconds (%3 polls).")
                                  .arg(m_videoId).arg(m_options.timeoutMs / 1000.0).arg(m_polls)));
            return;
        }
        m_timer.start(int(qMin<qint64>(m_intervalMs, left)));
        m_intervalMs = qMin(m_options.maxIntervalMs, int(m_intervalMs * m_options.backoffFactor));
    });
}

} // namespace deso::node
