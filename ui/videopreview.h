#pragma once
// Plays a queued video in the window (QMediaPlayer + QVideoWidget) with its duration
// and resolution; shows the server's processing state and, once the video is ready, plays
// beside the local file what viewers will get (the processed stream the server serves),
// with the URLs to paste into a post (playback, embed, download), each with Copy and Open.
// A video over its server's limit can also play the smaller copy made to fit, before it is
// sent, beside the original.

#include "upload/medialinks.h"

#include <QUrl>
#include <QVideoFrame>
#include <QWidget>

class QAudioOutput;
class QLabel;
class QMediaPlayer;
class QPushButton;
class QToolButton;
class QSlider;
class QVideoWidget;
class UrlField;

class VideoPreview : public QWidget {
    Q_OBJECT
public:
    explicit VideoPreview(QWidget *parent = nullptr);

    // The local file; forgets any stream of an earlier video.
    void setSource(const QString &path);
    void clear();
    void setRemoteStatus(const QString &status);
    // The finished video's links, from core/upload/medialinks (empty: none yet). The first
    // time a video gets a stream to play (see streamToPlay), the preview switches to it.
    void setLinks(const QList<deso::upload::MediaLink> &links);
    // What the "as viewers see it" view plays of these links (see README: Qt 6.4 and HLS).
    static QUrl streamToPlay(const QList<deso::upload::MediaLink> &links);

    // The smaller copy that fits (compress-to-fit), once made; empty: none (or no longer:
    // sent or discarded). The first time a copy is set, the preview switches to it.
    void setCopy(const QString &path);
    QString copyPath() const { return m_copyPath; }

    // Which of the three the player shows.
    void showLocalFile();
    void showCopy();
    void showStream();
    bool isShowingStream() const { return m_showingStream; }
    bool isShowingCopy() const { return m_showingCopy; }
    QUrl streamUrl() const { return m_stream; }

    QMediaPlayer *player() const { return m_player; }
    QString infoText() const;
    // The playback URL's field (what the upload's result URL is).
    UrlField *streamUrlField() const { return m_links.value(int(deso::upload::LinkKind::Playback)); }
    UrlField *linkField(deso::upload::LinkKind kind) const { return m_links.value(int(kind)); }
    QToolButton *localButton() const { return m_localButton; }
    QToolButton *streamButton() const { return m_streamButton; }
    QToolButton *copyButton() const { return m_copyButton; }
    QVideoWidget *videoWidget() const { return m_video; }
    // The frame on screen now (converted on demand; null before the first frame).
    QImage currentFrame() const;

signals:
    void mediaInfo(const QSize &resolution, qint64 durationMs);
    void error(const QString &message);

private:
    void updateInfo();
    void play(const QUrl &source);

    QMediaPlayer *m_player;
    QAudioOutput *m_audio;
    QVideoWidget *m_video;
    QPushButton *m_play;
    QSlider *m_position;
    QLabel *m_time;
    QLabel *m_info;
    QLabel *m_status;
    QToolButton *m_localButton;
    QToolButton *m_streamButton;
    QToolButton *m_copyButton;
    QLabel *m_streamNote;
    QList<UrlField *> m_links;  // by LinkKind: playback, embed, download (image unused)
    QString m_localPath;
    QUrl m_stream;
    QString m_copyPath;
    bool m_showingStream = false;
    bool m_showingCopy = false;
    QSize m_resolution;
    QVideoFrame m_frame;
};
