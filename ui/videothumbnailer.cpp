#include "videothumbnailer.h"

#include <QMediaPlayer>
#include <QUrl>
#include <QVideoFrame>
#include <QVideoSink>

VideoThumbnailer::VideoThumbnailer(QObject *parent)
    : QObject(parent), m_player(new QMediaPlayer(this)), m_sink(new QVideoSink(this))
{
    m_player->setVideoSink(m_sink);  // no audio output: thumbnails are silent
    m_timeout.setSingleShot(true);
    m_timeout.setInterval(10000);
    connect(&m_timeout, &QTimer::timeout, this, [this] {
        if (m_currentId.isEmpty())
            return;
        emit failed(m_currentId, tr("The video did not show a frame in time."));
        finishCurrent();
    });
    connect(m_sink, &QVideoSink::videoFrameChanged, this, [this](const QVideoFrame &frame) {
        if (m_currentId.isEmpty() || !frame.isValid())
            return;
        QImage image = frame.toImage();
        if (image.isNull())
            return;
        const QSize resolution = frame.size();
        image = image.scaled(m_maxSide, m_maxSide, Qt::KeepAspectRatio, Qt::SmoothTransformation);
        emit ready(m_currentId, image, resolution, m_player->duration());
        finishCurrent();
    });
    connect(m_player, &QMediaPlayer::errorOccurred, this, [this](QMediaPlayer::Error, const QString &message) {
        if (m_currentId.isEmpty())
            return;
        emit failed(m_currentId, message);
        finishCurrent();
    });
}

VideoThumbnailer::~VideoThumbnailer()
{
    m_currentId.clear();
    m_player->stop();
}

void VideoThumbnailer::request(const QString &id, const QString &path, int maxSide)
{
    m_maxSide = maxSide;
    m_pending.enqueue({id, path});
    if (m_currentId.isEmpty())
        next();
}

void VideoThumbnailer::next()
{
    if (m_pending.isEmpty())
        return;
    const auto [id, path] = m_pending.dequeue();
    m_currentId = id;
    m_player->setSource(QUrl::fromLocalFile(path));
    m_player->play();  // pausing right away would not decode; the first frame stops it
    m_timeout.start();
}

void VideoThumbnailer::finishCurrent()
{
    m_timeout.stop();
    m_currentId.clear();
    // Leave the signal handler before tearing the source down.
    QMetaObject::invokeMethod(this, [this] {
        m_player->stop();
        m_player->setSource({});
        next();
    }, Qt::QueuedConnection);
}
