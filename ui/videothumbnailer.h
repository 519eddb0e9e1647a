#pragma once
// First frames of queued videos, for their queue thumbnails: one muted QMediaPlayer
// renders into a QVideoSink (no window), a video at a time. Decoding runs in the
// media backend's threads; the UI thread only receives the frame.

#include <QImage>
#include <QObject>
#include <QPair>
#include <QQueue>
#include <QSize>
#include <QTimer>

class QMediaPlayer;
class QVideoSink;

class VideoThumbnailer : public QObject {
    Q_OBJECT
public:
    explicit VideoThumbnailer(QObject *parent = nullptr);
    ~VideoThumbnailer() override;

    void request(const QString &id, const QString &path, int maxSide);

signals:
    void ready(const QString &id, const QImage &thumbnail, const QSize &resolution, qint64 durationMs);
    void failed(const QString &id, const QString &reason);

private:
    void next();
    void finishCurrent();

    QMediaPlayer *m_player;
    QVideoSink *m_sink;
    QTimer m_timeout;  // a file the backend never answers for must not stall the queue
    QQueue<QPair<QString, QString>> m_pending;
    QString m_currentId;
    int m_maxSide = 128;
};
