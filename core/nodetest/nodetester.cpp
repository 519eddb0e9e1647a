#include "nodetest/nodetester.h"

#include "node/nodeclient.h"
#include "nodetest/sampleclip.h"
#include "tus/tusuploader.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QElapsedTimer>
#include <QFile>
#include <QImage>
#include <QJsonDocument>
#include <QLinearGradient>
#include <QPainter>

namespace deso::nodetest {

namespace {
enum Step {
    ImageStep, VideoStep, StatusStep, DimensionsStep, TikTokStep,
    MediaUploadStep, MediaStatusStep, MediaPlaybackStep, MediaDownloadStep, StepCount
};

QString rawError(const Error &e)
{
    return e.httpStatus > 0 ? QStringLiteral("HTTP %1\n%2\n(%3)").arg(e.httpStatus).arg(e.message, e.code)
                            : QStringLiteral("%1\n(%2)").arg(e.message, e.code);
}

QString json(const QJsonObject &o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Indented));
}
} // namespace

NodeTester::NodeTester(NodeTestOptions options, QObject *parent)
    : QObject(parent), m_options(std::move(options)), m_client(new node::NodeClient(m_options.nodeUrl, this)),
      m_media(new node::NodeClient(m_options.mediaServerUrl, this))
{
    for (const QString &name : stepNames())
        m_results.append(StepResult{name, StepResult::Outcome::Pending, 0, {}, {}});
    m_started.resize(m_results.size());
    connect(m_client, &node::NodeClient::exchanged, this, &NodeTester::record);
    connect(m_media, &node::NodeClient::exchanged, this, &NodeTester::record);
}

void NodeTester::record(const node::HttpExchange &exchange)
{
    // Status polling may take dozens of requests: the last few tell the story.
    constexpr int kKept = 4;
    m_exchanges << exchange.toText();
    if (m_exchanges.size() > kKept) {
        m_exchanges.removeFirst();
        ++m_exchangesDropped;
    }
}

QString NodeTester::transcript() const
{
    QString text;
    if (m_exchangesDropped > 0)
        text += QStringLiteral("(%1 earlier request(s) not shown)\n\n").arg(m_exchangesDropped);
    return text + m_exchanges.join(QLatin1Char('\n'));
}

NodeTester::~NodeTester() = default;

QStringList NodeTester::stepNames()
{
    return {QStringLiteral("upload-image"), QStringLiteral("upload-video (tus)"), QStringLiteral("get-video-status"),
            QStringLiteral("get-video-dimensions"), QStringLiteral("get-full-tiktok-url"),
            QStringLiteral("upload-video (media server)"), QStringLiteral("get-video-status (asset)"),
            QStringLiteral("playbackURL"), QStringLiteral("downloadURL")};
}

QString NodeTester::outcomeName(StepResult::Outcome outcome)
{
    switch (outcome) {
    case StepResult::Outcome::Pending: return QStringLiteral("pending");
    case StepResult::Outcome::Running: return QStringLiteral("running");
    case StepResult::Outcome::Passed: return QStringLiteral("pass");
    case StepResult::Outcome::Failed: return QStringLiteral("FAIL");
    case StepResult::Outcome::Skipped: return QStringLiteral("skipped");
    }
    return {};
}

void NodeTester::run()
{
    if (m_running)
        return;
    delete m_context;
    m_context = new QObject(this);
    m_videoId.clear();
    m_assetId.clear();
    m_asset = {};
    for (int i = 0; i < m_results.size(); ++i) {
        m_results[i] = StepResult{m_results[i].name, StepResult::Outcome::Pending, 0, {}, {}};
        emit stepChanged(i, m_results[i]);
    }
    m_running = true;
    if (m_options.nodeUrl.isEmpty() || !m_options.nodeUrl.isValid()) {
        for (int i = 0; i < StepCount; ++i)
            failStep(i, Error(QStringLiteral("nodetest.no_node"), QStringLiteral("No node URL is set.")));
        done();
        return;
    }
    stepImage();
}

void NodeTester::cancel()
{
    if (!m_running)
        return;
    delete m_context;  // drops every request and callback of this run
    m_context = nullptr;
    for (int i = 0; i < m_results.size(); ++i)
        if (m_results[i].outcome == StepResult::Outcome::Pending || m_results[i].outcome == StepResult::Outcome::Running)
            skip(i, QStringLiteral("Cancelled."));
    done();
}

void NodeTester::begin(int index)
{
    m_started[index] = QDateTime::currentMSecsSinceEpoch();
    m_currentStep = index;
    m_exchanges.clear();
    m_exchangesDropped = 0;
    m_results[index].outcome = StepResult::Outcome::Running;
    emit stepChanged(index, m_results[index]);
}

void NodeTester::pass(int index, const QString &summary, const QString &raw)
{
    StepResult &r = m_results[index];
    r.outcome = StepResult::Outcome::Passed;
    r.elapsedMs = QDateTime::currentMSecsSinceEpoch() - m_started[index];
    r.summary = summary;
    const QString wire = transcript();
    r.raw = wire.isEmpty() ? raw : wire;
    emit stepChanged(index, r);
}

void NodeTester::failStep(int index, const Error &error)
{
    StepResult &r = m_results[index];
    r.outcome = StepResult::Outcome::Failed;
    r.elapsedMs = m_started[index] > 0 ? QDateTime::currentMSecsSinceEpoch() - m_started[index] : 0;
    r.summary = error.message;
    const QString wire = index == m_currentStep ? transcript() : QString();
    r.raw = wire.isEmpty() ? rawError(error) : rawError(error) + QStringLiteral("\n\n") + wire;
    emit stepChanged(index, r);
}

void NodeTester::skip(int index, const QString &why)
{
    StepResult &r = m_results[index];
    r.outcome = StepResult::Outcome::Skipped;
    r.summary = why;
    emit stepChanged(index, r);
}

void NodeTester::stepImage()
{
    begin(ImageStep);
    if (!m_options.credentials) {
        failStep(ImageStep, Error(QStringLiteral("nodetest.no_identity"), QStringLiteral("No identity to sign the upload with.")));
        return stepVideo();
    }
    const auto creds = m_options.credentials();
    if (!creds) {
        failStep(ImageStep, creds.error());
        return stepVideo();
    }
    // A fresh image every run (the time is drawn in), so the node cannot answer from a cache.
    QImage image(320, 200, QImage::Format_RGB32);
    {
        QPainter p(&image);
        QLinearGradient g(0, 0, 320, 200);
        g.setColorAt(0, QColor(0x1f, 0x7a, 0xe0));
        g.setColorAt(1, QColor(0x8e, 0x5b, 0xd6));
        p.fillRect(image.rect(), g);
        p.setPen(Qt::white);
        p.drawText(image.rect(), Qt::AlignCenter,
                   QStringLiteral("deso-media node test\n%1").arg(QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs)));
    }
    QDir().mkpath(m_options.workDir);
    const QString path = QDir(m_options.workDir).filePath(QStringLiteral("node-test.png"));
    if (!image.save(path, "PNG")) {
        failStep(ImageStep, Error(QStringLiteral("nodetest.write"), QStringLiteral("Cannot write %1.").arg(path)));
        return stepVideo();
    }
    // Generated here as a small PNG: acceptable as it is, so it is sent untouched.
    node::ImagePart part;
    part.sourcePath = path;
    part.fileName = QFileInfo(path).fileName();
    part.contentType = QStringLiteral("image/png");
    part.size = QFileInfo(path).size();
    m_client->uploadImage(part, creds->first, creds->second, m_context, [this](Result<node::ImageUpload> r) {
        if (r)
            pass(ImageStep, QStringLiteral("ImageURL %1").arg(r->imageUrl),
                 json(QJsonObject{{QStringLiteral("ImageURL"), r->imageUrl}}));
        else
            failStep(ImageStep, r.error());
        stepVideo();
    });
}

void NodeTester::stepVideo()
{
    begin(VideoStep);
    const QString path = QDir(m_options.workDir).filePath(QStringLiteral("node-test.mp4"));
    QDir().mkpath(m_options.workDir);
    if (const Status written = writeSampleClip(path); !written.ok()) {
        failStep(VideoStep, written.error());
        skip(StatusStep, QStringLiteral("Needs a video id from upload-video."));
        skip(DimensionsStep, QStringLiteral("Needs a video id from upload-video."));
        return stepTikTok();
    }
    tus::TusOptions options;
    options.resume = false;  // a test measures a fresh upload
    options.storeFile = QDir(m_options.workDir).filePath(QStringLiteral("node-test-tus.json"));
    auto *tus = new tus::TusUploader(m_client->videoUploadEndpoint(), path, options, m_context);
    connect(tus, &tus::TusUploader::exchanged, this, &NodeTester::record);
    connect(tus, &tus::TusUploader::finished, this, [this](const tus::TusUploadResult &r) {
        m_videoId = r.mediaId;
        if (m_videoId.isEmpty()) {
            failStep(VideoStep, Error(QStringLiteral("nodetest.no_media_id"),
                                      QStringLiteral("The upload finished but no Stream-Media-Id came back.")));
            skip(StatusStep, QStringLiteral("Needs a video id from upload-video."));
            skip(DimensionsStep, QStringLiteral("Needs a video id from upload-video."));
            return stepTikTok();
        }
        pass(VideoStep, QStringLiteral("%1 bytes sent; Stream-Media-Id %2").arg(r.size).arg(r.mediaId),
             QStringLiteral("Location: %1\nStream-Media-Id: %2\nUpload-Length: %3")
                 .arg(r.uploadUrl.toString(), r.mediaId).arg(r.size));
        stepStatus();
    });
    connect(tus, &tus::TusUploader::failed, this, [this](const Error &e) {
        failStep(VideoStep, e);
        skip(StatusStep, QStringLiteral("Needs a video id from upload-video."));
        skip(DimensionsStep, QStringLiteral("Needs a video id from upload-video."));
        stepTikTok();
    });
    tus->start();
}

void NodeTester::stepStatus()
{
    begin(StatusStep);
    node::PollOptions options;
    options.timeoutMs = m_options.statusTimeoutMs;
    auto *poller = new node::VideoStatusPoller(m_client, m_videoId, options, m_context);
    connect(poller, &node::VideoStatusPoller::ready, this, [this, poller](const node::VideoStatus &s) {
        pass(StatusStep,
             QStringLiteral("ReadyToStream after %1 poll(s): %2 s, %3×%4")
                 .arg(poller->pollCount()).arg(s.duration, 0, 'f', 2).arg(s.width).arg(s.height),
             json(s.raw));
        stepDimensions();
    });
    connect(poller, &node::VideoStatusPoller::failed, this, [this](const Error &e) {
        failStep(StatusStep, e);
        stepDimensions();
    });
    poller->start();
}

void NodeTester::stepDimensions()
{
    begin(DimensionsStep);
    m_client->getVideoDimensions(m_videoId, m_context, [this](Result<node::VideoDimensions> r) {
        if (r)
            pass(DimensionsStep, QStringLiteral("%1×%2").arg(r->width).arg(r->height),
                 json(QJsonObject{{QStringLiteral("width"), r->width}, {QStringLiteral("height"), r->height}}));
        else
            failStep(DimensionsStep, r.error());
        stepTikTok();
    });
}

void NodeTester::stepTikTok()
{
    begin(TikTokStep);
    m_client->getFullTikTokUrl(m_options.tiktokShortId, m_context, [this](Result<QString> r) {
        if (r)
            pass(TikTokStep, r.value(), json(QJsonObject{{QStringLiteral("FullTikTokURL"), r.value()}}));
        else
            failStep(TikTokStep, r.error());
        stepMediaUpload();
    });
}

void NodeTester::stepMediaUpload()
{
    const auto skipRest = [this](const QString &why) {
        for (int i = MediaStatusStep; i <= MediaDownloadStep; ++i)
            skip(i, why);
        done();
    };
    if (m_options.mediaServerUrl.isEmpty() || !m_options.mediaServerUrl.isValid()) {
        skip(MediaUploadStep, QStringLiteral("No media server is chosen (videos go to the node with tus)."));
        return skipRest(QStringLiteral("No media server is chosen."));
    }
    begin(MediaUploadStep);
    const auto creds = m_options.credentials ? m_options.credentials()
                                             : Result<std::pair<QString, QString>>(Error(QStringLiteral("nodetest.no_identity"),
                                                                                         QStringLiteral("No identity to sign the upload with.")));
    if (!creds) {
        failStep(MediaUploadStep, creds.error());
        return skipRest(QStringLiteral("Needs an asset id from upload-video."));
    }
    const QString path = QDir(m_options.workDir).filePath(QStringLiteral("node-test-media.mp4"));
    QDir().mkpath(m_options.workDir);
    if (const Status written = writeSampleClip(path); !written.ok()) {
        failStep(MediaUploadStep, written.error());
        return skipRest(QStringLiteral("Needs an asset id from upload-video."));
    }
    m_media->uploadVideoForm(path, QStringLiteral("video/mp4"), creds->first, creds->second, m_context,
                             [this, skipRest](Result<node::MediaServerUpload> r) {
        if (!r) {
            failStep(MediaUploadStep, r.error());
            return skipRest(QStringLiteral("Needs an asset id from upload-video."));
        }
        m_assetId = r->assetId;
        pass(MediaUploadStep, QStringLiteral("asset %1, playbackId %2").arg(r->assetId, r->playbackId), json(r->raw));
        stepMediaStatus();
    });
}

void NodeTester::stepMediaStatus()
{
    begin(MediaStatusStep);
    node::PollOptions options = node::PollOptions::mediaServerCadence();
    options.timeoutMs = qMin(options.timeoutMs, m_options.statusTimeoutMs);
    auto *poller = new node::VideoStatusPoller(m_media, m_assetId, options, m_context);
    connect(poller, &node::VideoStatusPoller::ready, this, [this, poller](const node::VideoStatus &s) {
        m_asset = s.raw;
        pass(MediaStatusStep, QStringLiteral("phase ready after %1 poll(s): %2 s").arg(poller->pollCount()).arg(s.duration, 0, 'f', 2),
             json(s.raw));
        stepMediaFetch(MediaPlaybackStep, QStringLiteral("playbackURL"));
    });
    connect(poller, &node::VideoStatusPoller::failed, this, [this](const Error &e) {
        failStep(MediaStatusStep, e);
        skip(MediaPlaybackStep, QStringLiteral("Needs a ready asset."));
        skip(MediaDownloadStep, QStringLiteral("Needs a ready asset."));
        done();
    });
    poller->start();
}

void NodeTester::stepMediaFetch(int index, const QString &key)
{
    begin(index);
    const auto next = [this, index] {
        if (index == MediaPlaybackStep)
            stepMediaFetch(MediaDownloadStep, QStringLiteral("downloadURL"));
        else
            done();
    };
    const QUrl url(m_asset.value(key).toString());
    if (url.isEmpty() || !url.isValid()) {
        failStep(index, Error(QStringLiteral("nodetest.no_url"), QStringLiteral("The ready asset has no %1.").arg(key)));
        return next();
    }
    m_media->fetchUrl(url, m_context, [this, index, next](Result<node::FetchedUrl> r) {
        if (!r)
            failStep(index, r.error());
        else if (r->bytes == 0)
            failStep(index, Error(QStringLiteral("nodetest.empty"), QStringLiteral("%1 answered with no bytes.").arg(r->url.toString())));
        else
            pass(index, QStringLiteral("%1 bytes of %2").arg(r->bytes).arg(r->contentType), QString());
        next();
    });
}

void NodeTester::done()
{
    m_running = false;
    int passed = 0, failed = 0;
    for (const StepResult &r : m_results) {
        passed += r.outcome == StepResult::Outcome::Passed ? 1 : 0;
        failed += r.outcome == StepResult::Outcome::Failed ? 1 : 0;
    }
    emit finished(passed, failed);
}

} // namespace deso::nodetest
