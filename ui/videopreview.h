#pragma once
// Plays a queued video in the window (QMediaPlayer + QVideoWidget) with its duration
// and resolution; shows the node's processing state and, once ready, the stream URL.

#include <QVideoFrame>
#include <QWidget>

class QAudioOutput;
class QLabel;
class QMediaPlayer;
class QPushButton;
class QSlider;
class QVideoWidget;
class UrlField;

class VideoPreview : public QWidget {
    Q_OBJECT
public:
    explicit VideoPreview(QWidget *parent = nullptr);

    void setSource(const QString &path);
    void clear();
    void setRemoteStatus(const QString &status);
    void setStreamUrl(const QString &url);

    QMediaPlayer *player() const { return m_player; }
    QString infoText() const;
    UrlField *streamUrlField() const { return m_streamUrl; }
    QVideoWidget *videoWidget() const { return m_video; }
    // The frame on screen now (converted on demand; null before the first frame).
    QImage currentFrame() const;

signals:
    void mediaInfo(const QSize &resolution, qint64 durationMs);
    void error(const QString &message);

private:
    void updateInfo();

    QMediaPlayer *m_player;
    QAudioOutput *m_audio;
    QVideoWidget *m_video;
    QPushButton *m_play;
    QSlider *m_position;
    QLabel *m_time;
    QLabel *m_info;
    QLabel *m_status;
    UrlField *m_streamUrl;
    QSize m_resolution;
    QVideoFrame m_frame;
};
