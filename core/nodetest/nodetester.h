#pragma once
// Runs every media endpoint of one node, in order, with small real inputs: a generated
// PNG (upload-image), a short bundled H.264 clip uploaded with tus (upload-video), its
// status polled until it can stream (get-video-status), its dimensions
// (get-video-dimensions), and a TikTok short id (get-full-tiktok-url); then, against the
// chosen media server, the clip as current DeSo apps send it (multipart upload-video),
// its asset's status until ready, and its playbackURL and downloadURL fetched. Each step
// reports pass/fail, how long it took and what the server answered.

#include "common/result.h"
#include "node/httpexchange.h"

#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <functional>

namespace deso::node {
class NodeClient;
}

namespace deso::nodetest {

struct StepResult {
    enum class Outcome { Pending, Running, Passed, Failed, Skipped };
    QString name;      // the endpoint, e.g. "upload-image"
    Outcome outcome = Outcome::Pending;
    qint64 elapsedMs = 0;
    QString summary;   // one sentence: what came back or why it failed
    // What went over the wire during the step: each request and the node's answer
    // (headers, body, time; JWTs not shown), after the error sentence when it failed.
    QString raw;
};

struct NodeTestOptions {
    QUrl nodeUrl;
    // Public key + JWT for upload-image; asked when that step starts. Returning an
    // error makes the step fail with that sentence.
    std::function<Result<std::pair<QString, QString>>()> credentials;
    QString workDir;                 // where the generated image and tus state go; required
    QString tiktokShortId = QStringLiteral("TTPd2Eobq3");
    int statusTimeoutMs = 120000;    // how long to wait for ReadyToStream
    QUrl mediaServerUrl;             // empty: the media-server steps are skipped
};

class NodeTester : public QObject {
    Q_OBJECT
public:
    explicit NodeTester(NodeTestOptions options, QObject *parent = nullptr);
    ~NodeTester() override;

    static QStringList stepNames();
    static QString outcomeName(StepResult::Outcome outcome);
    const QList<StepResult> &results() const { return m_results; }
    bool isRunning() const { return m_running; }

public slots:
    void run();
    void cancel();

signals:
    void stepChanged(int index, const deso::nodetest::StepResult &result);
    void finished(int passed, int failed);

private:
    void begin(int index);
    void pass(int index, const QString &summary, const QString &raw);
    void failStep(int index, const Error &error);
    void skip(int index, const QString &why);
    void next(int index);
    void stepImage();
    void stepVideo();
    void stepStatus();
    void stepDimensions();
    void stepTikTok();
    void stepMediaUpload();
    void stepMediaStatus();
    void stepMediaFetch(int index, const QString &key);
    void done();
    void record(const node::HttpExchange &exchange);
    QString transcript() const;

    NodeTestOptions m_options;
    node::NodeClient *m_client;
    node::NodeClient *m_media;   // bound to mediaServerUrl
    QString m_assetId;
    QJsonObject m_asset;         // the last get-video-status answer about it
    QObject *m_context = nullptr;  // parent of everything a run creates; deleting it cancels the run
    QList<StepResult> m_results;
    QList<qint64> m_started;
    QString m_videoId;
    int m_currentStep = -1;
    QStringList m_exchanges;     // the current step's, oldest first (the last few kept)
    int m_exchangesDropped = 0;
    bool m_running = false;
};

} // namespace deso::nodetest
