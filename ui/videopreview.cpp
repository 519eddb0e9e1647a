#include "videopreview.h"

#include "mediaqueuemodel.h"
#include "urlfield.h"

#include <QAudioOutput>
#include <QButtonGroup>
#include <QHBoxLayout>
#include <QLabel>
#include <QAudioDevice>
#include <QMediaDevices>
#include <QMediaMetaData>
#include <QMediaPlayer>
#include <QPushButton>
#include <QSlider>
#include <QToolButton>
#include <QUrl>
#include <QVBoxLayout>
#include <QVideoFrame>
#include <QVideoSink>
#include <QVideoWidget>

namespace {
QString clock(qint64 ms)
{
    const qint64 s = ms / 1000;
    return QStringLiteral("%1:%2").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
}
} // namespace

VideoPreview::VideoPreview(QWidget *parent)
    : QWidget(parent), m_player(new QMediaPlayer(this)), m_audio(new QAudioOutput(this)), m_video(new QVideoWidget),
      m_play(new QPushButton(tr("Play"))), m_position(new QSlider(Qt::Horizontal)), m_time(new QLabel),
      m_info(new QLabel), m_status(new QLabel), m_localButton(new QToolButton), m_streamButton(new QToolButton),
      m_copyButton(new QToolButton), m_streamNote(new QLabel)
{
    using deso::upload::LinkKind;
    for (LinkKind kind : {LinkKind::Playback, LinkKind::Embed, LinkKind::Download}) {
        auto *field = new UrlField(deso::upload::linkCaption(kind), true);
        field->setObjectName(deso::upload::linkKey(kind));
        m_links << field;
    }
    m_localButton->setText(tr("Local file"));
    m_copyButton->setText(tr("Copy that fits"));
    m_copyButton->setObjectName(QStringLiteral("copyButton"));
    m_copyButton->setToolTip(tr("The smaller copy made to fit the server's limit, as it will be sent"));
    m_copyButton->setVisible(false);
    m_streamButton->setText(tr("As viewers see it"));
    m_streamButton->setToolTip(tr("The processed stream the server serves, once the video is ready"));
    auto *sources = new QButtonGroup(this);
    for (QToolButton *b : {m_localButton, m_copyButton, m_streamButton}) {
        b->setCheckable(true);
        b->setToolButtonStyle(Qt::ToolButtonTextOnly);
        sources->addButton(b);
    }
    m_localButton->setChecked(true);
    m_streamNote->setObjectName(QStringLiteral("streamNote"));
    m_streamNote->setWordWrap(true);
    connect(m_localButton, &QToolButton::clicked, this, &VideoPreview::showLocalFile);
    connect(m_streamButton, &QToolButton::clicked, this, &VideoPreview::showStream);
    connect(m_copyButton, &QToolButton::clicked, this, &VideoPreview::showCopy);
    m_video->setMinimumSize(240, 160);
    m_video->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    // Qt 6.4's FFmpeg backend crashes in its audio renderer when there is no audio device
    // (a headless session, a server): a video with sound then plays silent.
    if (!QMediaDevices::audioOutputs().isEmpty())
        m_player->setAudioOutput(m_audio);
    m_player->setVideoOutput(m_video);
    m_info->setObjectName(QStringLiteral("videoInfo"));
    m_status->setObjectName(QStringLiteral("videoStatus"));
    m_status->setWordWrap(true);
    m_time->setMinimumWidth(90);

    auto *controls = new QHBoxLayout;
    controls->addWidget(m_play);
    controls->addWidget(m_position, 1);
    controls->addWidget(m_time);
    auto *switcher = new QHBoxLayout;
    switcher->addWidget(m_localButton);
    switcher->addWidget(m_copyButton);
    switcher->addWidget(m_streamButton);
    switcher->addWidget(m_streamNote, 1);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(switcher);
    layout->addWidget(m_video, 1);
    layout->addLayout(controls);
    layout->addWidget(m_info);
    layout->addWidget(m_status);
    for (UrlField *field : m_links)
        layout->addWidget(field);

    connect(m_play, &QPushButton::clicked, this, [this] {
        if (m_player->playbackState() == QMediaPlayer::PlayingState)
            m_player->pause();
        else
            m_player->play();
    });
    connect(m_player, &QMediaPlayer::playbackStateChanged, this, [this](QMediaPlayer::PlaybackState s) {
        m_play->setText(s == QMediaPlayer::PlayingState ? tr("Pause") : tr("Play"));
    });
    connect(m_player, &QMediaPlayer::durationChanged, this, [this](qint64 d) {
        m_position->setRange(0, int(d));
        m_time->setText(QStringLiteral("%1 / %2").arg(clock(m_player->position()), clock(d)));
        updateInfo();
    });
    connect(m_player, &QMediaPlayer::positionChanged, this, [this](qint64 p) {
        if (!m_position->isSliderDown())
            m_position->setValue(int(p));
        m_time->setText(QStringLiteral("%1 / %2").arg(clock(p), clock(m_player->duration())));
    });
    connect(m_position, &QSlider::sliderMoved, m_player, [this](int v) { m_player->setPosition(v); });
    connect(m_player, &QMediaPlayer::metaDataChanged, this, &VideoPreview::updateInfo);
    connect(m_player, &QMediaPlayer::mediaStatusChanged, this, [this](QMediaPlayer::MediaStatus s) {
        // Show the first frame as soon as the file is open, not a black box.
        if (s == QMediaPlayer::LoadedMedia && m_player->playbackState() == QMediaPlayer::StoppedState) {
            m_player->pause();
        }
        updateInfo();
    });
    connect(m_video->videoSink(), &QVideoSink::videoFrameChanged, this, [this](const QVideoFrame &f) {
        m_frame = f;
        if (f.isValid() && f.size() != m_resolution) {
            m_resolution = f.size();
            updateInfo();
        }
    });
    connect(m_player, &QMediaPlayer::errorOccurred, this, [this](QMediaPlayer::Error, const QString &message) {
        m_info->setText(tr("Cannot play this file here: %1").arg(message));
        emit error(message);
    });
    clear();
}

void VideoPreview::setSource(const QString &path)
{
    m_localPath = path;
    m_stream.clear();
    m_copyPath.clear();
    m_copyButton->setVisible(false);
    setLinks({});
    showLocalFile();
}

void VideoPreview::play(const QUrl &source)
{
    m_resolution = {};
    m_frame = {};
    m_player->stop();
    m_player->setSource(source);
    m_info->setText(tr("Opening…"));
}

void VideoPreview::showLocalFile()
{
    const bool change = m_showingStream || m_showingCopy || m_player->source() != QUrl::fromLocalFile(m_localPath);
    m_showingStream = false;
    m_showingCopy = false;
    m_localButton->setChecked(true);
    if (change && !m_localPath.isEmpty())
        play(QUrl::fromLocalFile(m_localPath));
}

void VideoPreview::showStream()
{
    if (m_stream.isEmpty()) {
        m_localButton->setChecked(true);
        return;
    }
    const bool change = !m_showingStream || m_player->source() != m_stream;
    m_showingStream = true;
    m_showingCopy = false;
    m_streamButton->setChecked(true);
    if (change)
        play(m_stream);
}

void VideoPreview::setCopy(const QString &path)
{
    if (path == m_copyPath)
        return;
    const bool first = m_copyPath.isEmpty();
    m_copyPath = path;
    m_copyButton->setVisible(!path.isEmpty());
    if (path.isEmpty()) {
        if (m_showingCopy)
            showLocalFile();
    } else if (first && !m_showingStream) {
        showCopy();  // newly made: show what will be sent
    }
}

void VideoPreview::showCopy()
{
    if (m_copyPath.isEmpty()) {
        (m_showingStream ? m_streamButton : m_localButton)->setChecked(true);
        return;
    }
    const QUrl copy = QUrl::fromLocalFile(m_copyPath);
    const bool change = !m_showingCopy || m_player->source() != copy;
    m_showingCopy = true;
    m_showingStream = false;
    m_copyButton->setChecked(true);
    if (change)
        play(copy);
}

QUrl VideoPreview::streamToPlay(const QList<deso::upload::MediaLink> &links)
{
    // The HLS master playlist, as viewers' players get it: Qt 6.4's FFmpeg backend plays it.
    return deso::upload::linkUrl(links, deso::upload::LinkKind::Playback);
}

void VideoPreview::setLinks(const QList<deso::upload::MediaLink> &links)
{
    for (int kind = 0; kind < m_links.size(); ++kind) {
        const QUrl url = deso::upload::linkUrl(links, deso::upload::LinkKind(kind));
        m_links[kind]->setUrl(url.toString());
        m_links[kind]->setVisible(!url.isEmpty() || kind == int(deso::upload::LinkKind::Playback));
    }
    const QUrl stream = streamToPlay(links);
    m_streamButton->setEnabled(!stream.isEmpty());
    m_streamNote->setText(stream.isEmpty() ? QString() : tr("Plays %1").arg(stream.toString()));
    if (stream == m_stream)
        return;
    const bool first = m_stream.isEmpty();
    m_stream = stream;
    if (stream.isEmpty())
        showLocalFile();
    else if (first || m_showingStream)
        showStream();  // newly ready: show what viewers will get
}

void VideoPreview::clear()
{
    m_player->stop();
    m_player->setSource({});
    m_localPath.clear();
    m_stream.clear();
    m_copyPath.clear();
    m_copyButton->setVisible(false);
    m_showingStream = false;
    m_showingCopy = false;
    m_localButton->setChecked(true);
    setLinks({});
    m_resolution = {};
    m_frame = {};
    m_info->setText(tr("Select a video in the queue"));
    m_time->setText(QStringLiteral("0:00 / 0:00"));
    setRemoteStatus({});
}

void VideoPreview::setRemoteStatus(const QString &status)
{
    m_status->setText(status.isEmpty() ? tr("Server status: not uploaded yet") : tr("Server status: %1").arg(status));
}

QImage VideoPreview::currentFrame() const
{
    return m_frame.isValid() ? m_frame.toImage() : QImage();
}

QString VideoPreview::infoText() const
{
    return m_info->text();
}

void VideoPreview::updateInfo()
{
    if (m_player->source().isEmpty())
        return;
    QSize res = m_resolution;
    if (!res.isValid())
        res = m_player->metaData().value(QMediaMetaData::Resolution).toSize();
    const qint64 duration = m_player->duration();
    QStringList parts;
    if (duration > 0)
        parts << tr("Duration %1").arg(clock(duration));
    if (res.isValid())
        parts << QStringLiteral("%1 × %2 px").arg(res.width()).arg(res.height());
    const QString codec = m_player->metaData().stringValue(QMediaMetaData::VideoCodec);
    if (!codec.isEmpty())
        parts << codec;
    if (!parts.isEmpty())
        m_info->setText(parts.join(QStringLiteral(" · ")));
    if (res.isValid() || duration > 0)
        emit mediaInfo(res, duration);
}
