#include "clientcommands.h"

#include "identity/keystore.h"
#include "node/httperror.h"
#include "node/nodeclient.h"
#include "tus/tusuploader.h"
#include "upload/credentials.h"
#include "upload/medialinks.h"
#include "upload/uploadstatus.h"
#include "upload/uploadtask.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>

#include <cstdio>
#include <limits>
#include <unistd.h>

namespace {

const QStringList kCommands = {QStringLiteral("upload-image"), QStringLiteral("upload-video"),
                               QStringLiteral("video-status"), QStringLiteral("video-dimensions"),
                               QStringLiteral("tiktok")};

QTextStream &out()
{
    static QTextStream stream(stdout);
    return stream;
}

QTextStream &err()
{
    static QTextStream stream(stderr);
    return stream;
}

int exitCodeFor(const deso::Error &error)
{
    if (deso::node::isNetworkError(error))
        return ExitNetwork;
    if (error.httpStatus > 0)
        return ExitServerRefused;
    return ExitLocalError;
}

QJsonObject errorJson(const deso::Error &error)
{
    QJsonObject object{{QStringLiteral("error"), error.message}, {QStringLiteral("code"), error.code}};
    if (error.httpStatus > 0)
        object.insert(QStringLiteral("httpStatus"), error.httpStatus);
    return object;
}

QString humanBytes(double bytes)
{
    if (bytes >= 1024.0 * 1024 * 1024)
        return QStringLiteral("%1 GiB").arg(bytes / (1024.0 * 1024 * 1024), 0, 'f', 2);
    if (bytes >= 1024.0 * 1024)
        return QStringLiteral("%1 MiB").arg(bytes / (1024.0 * 1024), 0, 'f', 1);
    if (bytes >= 1024.0)
        return QStringLiteral("%1 KiB").arg(bytes / 1024.0, 0, 'f', 1);
    return QStringLiteral("%1 B").arg(qint64(bytes));
}

// Accepts bytes ("52428800") or a binary suffix ("50M", "50MiB", "512K", "512KiB").
std::optional<qint64> parseSize(QString text)
{
    text = text.trimmed();
    qint64 unit = 1;
    const QString upper = text.toUpper();
    for (const auto &[suffix, factor] : {std::pair{QStringLiteral("MIB"), qint64(1) << 20},
                                         std::pair{QStringLiteral("KIB"), qint64(1) << 10},
                                         std::pair{QStringLiteral("M"), qint64(1) << 20},
                                         std::pair{QStringLiteral("K"), qint64(1) << 10}}) {
        if (upper.endsWith(suffix)) {
            unit = factor;
            text.chop(suffix.size());
            break;
        }
    }
    bool ok = false;
    const qint64 value = text.toLongLong(&ok);
    if (!ok || value <= 0)
        return std::nullopt;
    return value * unit;
}

// The text and JSON forms of the node's answer about a video (the documented output).
std::pair<QString, QJsonObject> describe(const deso::node::VideoStatus &status)
{
    QString text = QStringLiteral("ReadyToStream: %1\nDuration: %2\nDimensions: %3x%4")
                       .arg(status.readyToStream ? QStringLiteral("true") : QStringLiteral("false"))
                       .arg(status.duration)
                       .arg(status.width)
                       .arg(status.height);
    if (!status.state.isEmpty())
        text += QStringLiteral("\nState: ") + status.state;
    if (!status.errorCode.isEmpty())
        text += QStringLiteral("\nErrorCode: ") + status.errorCode;
    if (!status.phase.isEmpty())
        text += QStringLiteral("\nPhase: ") + status.phase;
    if (!status.errorMessage.isEmpty())
        text += QStringLiteral("\nErrorMessage: ") + status.errorMessage;
    // What to paste into a post, worded as the window words it (core/upload/medialinks).
    if (status.readyToStream)
        for (const deso::upload::MediaLink &link : deso::upload::videoLinks(status))
            text += QStringLiteral("\n%1: %2").arg(deso::upload::linkKey(link.kind), link.url.toString());
    return {text, status.raw};
}

// One run of one subcommand: parses, starts the request, and ends the event loop with a code.
class ClientCommand : public QObject {
public:
    explicit ClientCommand(QString name) : m_name(std::move(name)) {}

    // Returns an exit code when the command ended before any request (usage, help).
    std::optional<int> parse(const QStringList &arguments);
    void start();

private:
    void succeed(const QString &text, const QJsonObject &json);
    void fail(const deso::Error &error, int code = -1);
    void usageError(const QString &message);

    std::optional<int> signWithTestKey();
    void uploadImage();
    void uploadVideo();
    void videoStatus();
    void waitUntilStreamable(const QString &videoId);
    deso::node::PollOptions pollOptions() const;
    void printStatusLine(const deso::node::VideoStatus &status);
    // Waiting ends in 5 when the video cannot stream (error state, timeout).
    void failWaiting(const deso::Error &error);
    void videoDimensions();
    void tiktok();

    QString m_name;
    QCommandLineParser m_parser;
    QString m_argument; // FILE, ID or ID_OR_LINK
    deso::upload::Credentials m_credentials; // upload-image, upload-video to a media server
    bool m_json = false;
    deso::node::NodeClient *m_client = nullptr;
    deso::node::NodeClient *m_mediaServer = nullptr; // --media-server: the media-server contract
};

std::optional<int> ClientCommand::parse(const QStringList &arguments)
{
    const QCommandLineOption node(QStringLiteral("node"), QStringLiteral("Base URL of the node, e.g. https://node.deso.org or http://127.0.0.1:18001."), QStringLiteral("url"));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print machine-readable JSON on stdout."));
    m_parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    m_parser.addHelpOption();
    const QCommandLineOption media({QStringLiteral("media-server"), QStringLiteral("media")},
                                   QStringLiteral("Base URL of a media server, e.g. https://media.deso.org: videos go there the way current DeSo apps send them (one multipart POST, then get-video-status by asset id)."),
                                   QStringLiteral("url"));
    const auto addCredentialOptions = [this] {
        m_parser.addOption({QStringLiteral("public-key"), QStringLiteral("The uploader's public key (Base58Check)."), QStringLiteral("pk")});
        m_parser.addOption({QStringLiteral("jwt"), QStringLiteral("A JWT signed by that key."), QStringLiteral("jwt")});
        m_parser.addOption({QStringLiteral("key"), QStringLiteral("Sign a fresh JWT with this test key (see --create-test-key); its public key is used unless --public-key is given."), QStringLiteral("name")});
        m_parser.addOption({QStringLiteral("key-store"), QStringLiteral("Where the test key lives: keychain (default), memory or file:PATH."), QStringLiteral("store"), QStringLiteral("keychain")});
    };
    m_parser.addOption(node);
    m_parser.addOption(json);
    QString positional;
    bool takesMediaServer = false; // upload-video and video-status declare --media-server
    if (m_name == QLatin1String("upload-image")) {
        m_parser.setApplicationDescription(QStringLiteral("Upload an image to a node's /api/v0/upload-image and print its ImageURL."));
        addCredentialOptions();
        m_parser.addOption({QStringLiteral("as-is"), QStringLiteral("Send the file untouched (no resize / re-encode to the node's 10 MB, 4000 px limits).")});
        m_parser.addPositionalArgument(QStringLiteral("file"), QStringLiteral("The image (JPEG, PNG, WebP or GIF)."));
        positional = QStringLiteral("FILE");
    } else if (m_name == QLatin1String("upload-video")) {
        m_parser.setApplicationDescription(QStringLiteral(
            "Upload a video with tus to a node's /api/v0/upload-video; progress on stderr, the media id and "
            "upload URL on stdout. An interrupted upload of the same file continues where it stopped."));
        m_parser.addOption({QStringLiteral("chunk-size"), QStringLiteral("PATCH size: bytes or with K/M suffix; >= 5M, a multiple of 256K, <= 200M (default 50M)."), QStringLiteral("n")});
        m_parser.addOption({QStringLiteral("wait"), QStringLiteral("After the upload, poll the video's status until it can stream (exit 5 if it cannot).")});
        m_parser.addOption({QStringLiteral("timeout"), QStringLiteral("With --wait: give up after this many seconds (default 600)."), QStringLiteral("seconds")});
        m_parser.addOption({QStringLiteral("retries"), QStringLiteral("Retries in a row after network errors or 5xx answers before giving up (default 8)."), QStringLiteral("n")});
        m_parser.addOption({QStringLiteral("no-resume"), QStringLiteral("Start a new upload even if an earlier one of this file was interrupted.")});
        m_parser.addOption({QStringLiteral("no-checksum"), QStringLiteral("Send tus chunks without Upload-Checksum even if the server offers it (saves hashing every byte on both ends).")});
        m_parser.addOption({QStringLiteral("checksum"), QStringLiteral("Upload-Checksum algorithm to use when the server offers it: crc32 (default: guards against damaged or cut chunks at memory speed), sha256, sha1, md5 or sha512."), QStringLiteral("algorithm")});
        m_parser.addOption({QStringLiteral("fit"), QStringLiteral("--fit [SIZE]: a video over SIZE (bytes or K/M suffix; default the chosen server's limit: the node's 250 MB, or 65 MiB with --media-server) is sent as a smaller H.264/AAC copy that fits; the file itself is not changed.")});
        QCommandLineOption fitSize(QStringLiteral("fit-size"), QString(), QStringLiteral("size"));
        fitSize.setFlags(QCommandLineOption::HiddenFromHelp); // the SIZE of --fit [SIZE]
        m_parser.addOption(fitSize);
        m_parser.addOption({QStringLiteral("multipart"), QStringLiteral("With --media-server: send even a file over 64 MiB as one multipart POST, "
                                                                        "as the DeSo SDK does, instead of through the media server's tus endpoint (no resume).")});
        m_parser.addOption(media);
        takesMediaServer = true;
        addCredentialOptions();
        m_parser.addPositionalArgument(QStringLiteral("file"), QStringLiteral("The video file."));
        positional = QStringLiteral("FILE");
    } else if (m_name == QLatin1String("video-status")) {
        m_parser.setApplicationDescription(QStringLiteral("Print a video's status from /api/v0/get-video-status."));
        m_parser.addOption({QStringLiteral("wait"), QStringLiteral("Poll until the video is ready to stream, fails, or the timeout passes.")});
        m_parser.addOption({QStringLiteral("timeout"), QStringLiteral("With --wait: give up after this many seconds (default 600)."), QStringLiteral("seconds")});
        m_parser.addOption(media);
        takesMediaServer = true;
        m_parser.addPositionalArgument(QStringLiteral("id"), QStringLiteral("The video id (Stream-Media-Id) or, with --media-server, the asset id."));
        positional = QStringLiteral("ID");
    } else if (m_name == QLatin1String("video-dimensions")) {
        m_parser.setApplicationDescription(QStringLiteral("Print a video's dimensions from /api/v0/get-video-dimensions."));
        m_parser.addPositionalArgument(QStringLiteral("id"), QStringLiteral("The video id."));
        positional = QStringLiteral("ID");
    } else {
        m_parser.setApplicationDescription(QStringLiteral("Resolve a TikTok short id or vm.tiktok.com link with /api/v0/get-full-tiktok-url."));
        m_parser.addPositionalArgument(QStringLiteral("id-or-link"), QStringLiteral("e.g. TTPd2Eobq3 or https://vm.tiktok.com/TTPd2Eobq3/"));
        positional = QStringLiteral("ID_OR_LINK");
    }

    QStringList args = arguments;
    args.removeAt(1); // the subcommand
    // --fit takes an optional SIZE, which QCommandLineParser cannot say: "--fit=SIZE",
    // or "--fit SIZE" when SIZE reads as a size and is not the last argument (the FILE).
    for (int i = 1; i < args.size(); ++i) {
        if (args[i].startsWith(QLatin1String("--fit="))) {
            const QString size = args[i].mid(6);
            args[i] = QStringLiteral("--fit");
            args.insert(i + 1, QStringLiteral("--fit-size=") + size);
        } else if (args[i] == QLatin1String("--fit") && i + 2 < args.size() && parseSize(args[i + 1])) {
            args[i + 1] = QStringLiteral("--fit-size=") + args[i + 1];
        }
    }
    if (!m_parser.parse(args)) {
        err() << "deso-media " << m_name << ": " << m_parser.errorText() << "\n";
        return int(ExitUsage);
    }
    if (m_parser.isSet(QStringLiteral("help"))) {
        out() << "Usage: deso-media " << m_name << " "
              << m_parser.helpText().section(QLatin1Char('\n'), 0, 0).section(QLatin1Char(' '), 2) << "\n"
              << m_parser.helpText().section(QLatin1Char('\n'), 1) << Qt::flush;
        return int(ExitOk);
    }
    m_json = m_parser.isSet(json);
    const QStringList rest = m_parser.positionalArguments();
    if (rest.size() != 1) {
        err() << "deso-media " << m_name << ": expected exactly one " << positional << " (see deso-media " << m_name
              << " --help).\n";
        return int(ExitUsage);
    }
    m_argument = rest.first();
    const auto httpUrl = [](const QUrl &url) {
        return url.isValid() && (url.scheme() == QLatin1String("http") || url.scheme() == QLatin1String("https"));
    };
    const bool viaMedia = takesMediaServer && m_parser.isSet(media);
    const QUrl mediaBase = viaMedia ? QUrl::fromUserInput(m_parser.value(media)) : QUrl();
    if (viaMedia && !httpUrl(mediaBase)) {
        err() << "deso-media " << m_name << ": --media-server wants an http or https URL, e.g. --media-server https://media.deso.org.\n";
        return int(ExitUsage);
    }
    const QUrl base = m_parser.isSet(node) ? QUrl::fromUserInput(m_parser.value(node)) : mediaBase;
    if ((!viaMedia && !m_parser.isSet(node)) || !httpUrl(base)) {
        err() << "deso-media " << m_name << ": --node URL is required (http or https), e.g. --node https://node.deso.org.\n";
        return int(ExitUsage);
    }
    if (m_name == QLatin1String("upload-image") || (m_name == QLatin1String("upload-video") && viaMedia)) {
        const bool jwt = m_parser.isSet(QStringLiteral("jwt"));
        const bool key = m_parser.isSet(QStringLiteral("key"));
        if (jwt == key) {
            err() << "deso-media " << m_name << ": give either --jwt JWT (with --public-key) or --key NAME.\n";
            return int(ExitUsage);
        }
        if (jwt && !m_parser.isSet(QStringLiteral("public-key"))) {
            err() << "deso-media " << m_name << ": --jwt needs --public-key.\n";
            return int(ExitUsage);
        }
        if (key) {
            if (const std::optional<int> code = signWithTestKey())
                return code;
        } else {
            // Sent as given, unchecked: the node's own refusal is what a tester wants to see.
            m_credentials = {m_parser.value(QStringLiteral("public-key")), m_parser.value(QStringLiteral("jwt"))};
        }
    }
    if (m_name == QLatin1String("upload-video") && m_parser.isSet(QStringLiteral("chunk-size"))) {
        const auto size = parseSize(m_parser.value(QStringLiteral("chunk-size")));
        if (!size) {
            err() << "deso-media upload-video: --chunk-size wants a positive size like 52428800 or 50M.\n";
            return int(ExitUsage);
        }
        if (const deso::Status valid = deso::tus::TusUploader::validateChunkSize(*size); !valid) {
            err() << "deso-media upload-video: " << valid.error().message << "\n";
            return int(ExitUsage);
        }
    }
    if (m_name == QLatin1String("upload-video") && m_parser.isSet(QStringLiteral("checksum"))) {
        if (const deso::Status valid = deso::tus::TusUploader::validateChecksumAlgorithm(m_parser.value(QStringLiteral("checksum")).toLatin1());
            !valid) {
            err() << "deso-media upload-video: " << valid.error().message << "\n";
            return int(ExitUsage);
        }
    }
    if (m_name == QLatin1String("upload-video") && m_parser.isSet(QStringLiteral("fit-size"))
        && (!m_parser.isSet(QStringLiteral("fit")) || !parseSize(m_parser.value(QStringLiteral("fit-size"))))) {
        err() << "deso-media upload-video: --fit wants a positive size like 104857600 or 100M.\n";
        return int(ExitUsage);
    }
    if (m_name == QLatin1String("upload-video") && m_parser.isSet(QStringLiteral("retries"))) {
        bool ok = false;
        const int retries = m_parser.value(QStringLiteral("retries")).toInt(&ok);
        if (!ok || retries < 0) {
            err() << "deso-media upload-video: --retries wants a number of retries (0 or more).\n";
            return int(ExitUsage);
        }
    }
    if (m_parser.optionNames().contains(QStringLiteral("timeout")) && m_parser.isSet(QStringLiteral("timeout"))) {
        bool ok = false;
        const double seconds = m_parser.value(QStringLiteral("timeout")).toDouble(&ok);
        if (!ok || seconds <= 0) {
            err() << "deso-media " << m_name << ": --timeout wants a positive number of seconds.\n";
            return int(ExitUsage);
        }
    }
    m_client = new deso::node::NodeClient(base, this);
    if (viaMedia)
        m_mediaServer = mediaBase == base ? m_client : new deso::node::NodeClient(mediaBase, this);
    return std::nullopt;
}

void ClientCommand::start()
{
    if (m_name == QLatin1String("upload-image"))
        uploadImage();
    else if (m_name == QLatin1String("upload-video"))
        uploadVideo();
    else if (m_name == QLatin1String("video-status"))
        videoStatus();
    else if (m_name == QLatin1String("video-dimensions"))
        videoDimensions();
    else
        tiktok();
}

void ClientCommand::succeed(const QString &text, const QJsonObject &json)
{
    if (m_json)
        out() << QJsonDocument(json).toJson(QJsonDocument::Compact) << "\n";
    else
        out() << text << "\n";
    out().flush();
    QCoreApplication::exit(ExitOk);
}

void ClientCommand::fail(const deso::Error &error, int code)
{
    if (m_json)
        out() << QJsonDocument(errorJson(error)).toJson(QJsonDocument::Compact) << "\n" << Qt::flush;
    err() << "deso-media " << m_name << ": " << error.message;
    if (error.httpStatus > 0)
        err() << " (HTTP " << error.httpStatus << ")";
    err() << "\n" << Qt::flush;
    QCoreApplication::exit(code >= 0 ? code : exitCodeFor(error));
}

std::optional<int> ClientCommand::signWithTestKey()
{
    auto store = deso::identity::TestKeyStore::fromSpec(m_parser.value(QStringLiteral("key-store")));
    if (!store) {
        err() << "deso-media " << m_name << ": " << store.error().message << "\n";
        return int(ExitUsage);
    }
    auto credentials = deso::upload::signWithTestKey(*store.value(), m_parser.value(QStringLiteral("key")),
                                                     m_parser.value(QStringLiteral("public-key")));
    if (!credentials) {
        err() << "deso-media " << m_name << ": " << credentials.error().message << "\n";
        return int(ExitLocalError);
    }
    m_credentials = credentials.value();
    return std::nullopt;
}

void ClientCommand::uploadImage()
{
    deso::upload::UploadOptions options;
    options.makeAcceptable = !m_parser.isSet(QStringLiteral("as-is"));
    options.credentials = [credentials = m_credentials]() -> deso::Result<deso::upload::Credentials> { return credentials; };
    auto *task = new deso::upload::UploadTask(m_client, m_argument, deso::upload::MediaKind::Image, options, this);
    connect(task, &deso::upload::UploadTask::failed, this, [this](const deso::Error &error) { fail(error); });
    connect(task, &deso::upload::UploadTask::finished, this, [this](const deso::upload::UploadResult &result) {
        const deso::node::ImageUpload &image = result.image;
        if (!image.preparation.isEmpty())
            err() << image.preparation << "\n" << Qt::flush;
        succeed(image.imageUrl, QJsonObject{{QStringLiteral("ImageURL"), image.imageUrl},
                                            {QStringLiteral("Changed"), image.changed},
                                            {QStringLiteral("Preparation"), image.preparation},
                                            {QStringLiteral("SentBytes"), image.sentBytes},
                                            {QStringLiteral("ContentType"), image.contentType}});
    });
    task->start();
}

void ClientCommand::uploadVideo()
{
    deso::upload::UploadOptions options;
    if (m_parser.isSet(QStringLiteral("chunk-size")))
        options.tus.chunkSize = *parseSize(m_parser.value(QStringLiteral("chunk-size")));
    options.tus.resume = !m_parser.isSet(QStringLiteral("no-resume"));
    options.tus.useChecksum = !m_parser.isSet(QStringLiteral("no-checksum"));
    options.tus.checksumAlgorithm = m_parser.value(QStringLiteral("checksum")).toLatin1();
    if (m_parser.isSet(QStringLiteral("retries")))
        options.tus.maxRetries = m_parser.value(QStringLiteral("retries")).toInt();
    if (m_parser.isSet(QStringLiteral("fit")))
        options.fitVideosTo = m_parser.isSet(QStringLiteral("fit-size")) ? *parseSize(m_parser.value(QStringLiteral("fit-size")))
                                                                         : deso::upload::videoLimit(m_mediaServer != nullptr).bytes;
    else if (const auto file = deso::upload::inspectFile(m_argument, deso::upload::videoLimit(m_mediaServer != nullptr));
             file.smallerCopyCanFit)  // sent as given (a tester sees the server's own refusal), but said
        err() << file.refusal->message << " Sent as it is; --fit sends a smaller copy that fits.\n" << Qt::flush;
    const bool wait = m_parser.isSet(QStringLiteral("wait"));
    options.followProcessing = wait;
    options.poll = pollOptions();
    if (m_mediaServer) {
        options.mediaServer = m_mediaServer;
        options.credentials = [credentials = m_credentials]() -> deso::Result<deso::upload::Credentials> { return credentials; };
        if (m_parser.isSet(QStringLiteral("timeout")))
            options.mediaServerPoll.timeoutMs = options.poll.timeoutMs;
        if (m_parser.isSet(QStringLiteral("multipart")))
            options.mediaServerTusThreshold = std::numeric_limits<qint64>::max();
    }
    auto *task = new deso::upload::UploadTask(m_client, m_argument, deso::upload::MediaKind::Video, options, this);
    const bool tty = isatty(fileno(stderr));
    auto *clock = new QElapsedTimer;
    clock->start();
    connect(task, &QObject::destroyed, this, [clock] { delete clock; });
    connect(task, &deso::upload::UploadTask::progress, this,
            [tty, clock, last = qint64(-1), endShown = false](qint64 sent, qint64 total, double speed, double eta) mutable {
                // A line a second when piped; a live line on a terminal; the end once.
                const bool end = sent >= total;
                if (end ? endShown : (last >= 0 && clock->elapsed() - last < (tty ? 200 : 1000)))
                    return;
                endShown = end;
                last = clock->elapsed();
                QString line = QStringLiteral("uploaded %1 of %2 (%3%)")
                                   .arg(humanBytes(double(sent)), humanBytes(double(total)))
                                   .arg(total > 0 ? 100.0 * double(sent) / double(total) : 100.0, 0, 'f', 1);
                if (speed > 0)
                    line += QStringLiteral(", %1/s").arg(humanBytes(speed));
                if (eta >= 0 && !end)
                    line += QStringLiteral(", about %1 s left").arg(qint64(eta + 0.5));
                err() << (tty ? "\r" : "") << line << (tty && !end ? "\x1b[K" : "\n") << Qt::flush;
            });
    connect(task, &deso::upload::UploadTask::retrying, this, [tty](int attempt, int delayMs, const deso::Error &cause) {
        err() << (tty ? "\n" : "") << "retrying (attempt " << attempt << ", in " << delayMs << " ms): " << cause.message << "\n" << Qt::flush;
    });
    connect(task, &deso::upload::UploadTask::statusChanged, this,
            [tty, last = -1](const deso::upload::UploadStatus &status) mutable {
                if (status.note != deso::upload::StatusNote::MakingSmallerVideo)
                    return;
                const int percent = int(status.preparedFraction * 100);
                if (percent == last || (!tty && percent % 10 != 0 && percent != 0))
                    return; // every 10 % when piped
                last = percent;
                err() << (tty ? "\r" : "") << deso::upload::describe(status) << (tty ? "\x1b[K" : "\n") << Qt::flush;
            });
    connect(task, &deso::upload::UploadTask::videoPrepared, this, [tty](const QString &preparation) {
        err() << (tty ? "\n" : "") << preparation << "\n" << Qt::flush;
    });
    connect(task, &deso::upload::UploadTask::warning, this, [](const deso::Error &problem) {
        err() << "warning: " << problem.message << "\n" << Qt::flush;
    });
    auto uploadedText = [](const deso::tus::TusUploadResult &result) {
        QString text = QStringLiteral("StreamMediaId: %1\nUploadURL: %2").arg(result.mediaId, result.uploadUrl.toString());
        if (result.resumed)
            text += QStringLiteral("\nResumed: true");
        return text;
    };
    auto uploadedJson = [](const deso::tus::TusUploadResult &result) {
        return QJsonObject{{QStringLiteral("StreamMediaId"), result.mediaId},
                           {QStringLiteral("UploadURL"), result.uploadUrl.toString()},
                           {QStringLiteral("Size"), result.size},
                           {QStringLiteral("Resumed"), result.resumed}};
    };
    connect(task, &deso::upload::UploadTask::videoUploaded, this, [this, uploadedText](const deso::tus::TusUploadResult &result) {
        if (!m_json)
            out() << uploadedText(result) << "\n" << Qt::flush; // the id is worth having even if waiting fails
    });
    auto assetText = [](const deso::node::MediaServerUpload &asset) {
        return QStringLiteral("AssetId: %1\nPlaybackId: %2\nTusEndpoint: %3\nURL: %4")
            .arg(asset.assetId, asset.playbackId, asset.tusEndpoint.toString(), asset.directUploadUrl.toString());
    };
    connect(task, &deso::upload::UploadTask::assetCreated, this, [this, assetText](const deso::node::MediaServerUpload &asset) {
        if (!m_json)
            out() << assetText(asset) << "\n" << Qt::flush; // the id is worth having even if waiting fails
    });
    connect(task, &deso::upload::UploadTask::nodeStatusReceived, this, &ClientCommand::printStatusLine);
    connect(task, &deso::upload::UploadTask::finished, this,
            [this, uploadedText, uploadedJson, assetText](const deso::upload::UploadResult &result) {
                // --json prints the server's own answer: the media server's, or the tus result.
                QString text = result.asset ? assetText(*result.asset) : uploadedText(result.video);
                QJsonObject json = result.asset ? result.asset->raw : uploadedJson(result.video);
                if (result.videoStatus) {
                    auto [statusText, statusJson] = describe(*result.videoStatus);
                    text = m_json ? text + QLatin1Char('\n') + statusText : statusText;
                    for (auto it = json.begin(); it != json.end(); ++it)
                        statusJson.insert(it.key(), it.value());
                    json = statusJson;
                }
                succeed(text, json);
            });
    connect(task, &deso::upload::UploadTask::failed, this, [this](const deso::Error &error) { failWaiting(error); });
    task->start();
}

deso::node::PollOptions ClientCommand::pollOptions() const
{
    deso::node::PollOptions options;
    if (m_parser.optionNames().contains(QStringLiteral("timeout")) && m_parser.isSet(QStringLiteral("timeout")))
        options.timeoutMs = int(m_parser.value(QStringLiteral("timeout")).toDouble() * 1000);
    return options;
}

void ClientCommand::printStatusLine(const deso::node::VideoStatus &status)
{
    err() << "status: " << deso::upload::describe(status) << "\n" << Qt::flush;
}

void ClientCommand::failWaiting(const deso::Error &error)
{
    const bool notReady = error.code == QLatin1String("video.timeout") || error.code == QLatin1String("video.error_state");
    fail(error, notReady ? int(ExitNotReady) : -1);
}

void ClientCommand::videoStatus()
{
    if (m_parser.isSet(QStringLiteral("wait"))) {
        waitUntilStreamable(m_argument);
        return;
    }
    deso::node::NodeClient *client = m_mediaServer ? m_mediaServer : m_client;
    client->getVideoStatus(m_argument, this, [this](deso::Result<deso::node::VideoStatus> result) {
        if (!result) {
            fail(result.error());
            return;
        }
        const auto [text, json] = describe(*result);
        succeed(text, json);
    });
}

void ClientCommand::waitUntilStreamable(const QString &videoId)
{
    deso::node::PollOptions options = pollOptions();
    if (m_mediaServer) { // the SDK's cadence, unless a timeout was given
        const int timeoutMs = options.timeoutMs;
        options = deso::node::PollOptions::mediaServerCadence();
        if (m_parser.isSet(QStringLiteral("timeout")))
            options.timeoutMs = timeoutMs;
    }
    auto *poller = new deso::node::VideoStatusPoller(m_mediaServer ? m_mediaServer : m_client, videoId, options, this);
    connect(poller, &deso::node::VideoStatusPoller::statusReceived, this, &ClientCommand::printStatusLine);
    connect(poller, &deso::node::VideoStatusPoller::ready, this, [this](const deso::node::VideoStatus &status) {
        const auto [text, json] = describe(status);
        succeed(text, json);
    });
    connect(poller, &deso::node::VideoStatusPoller::failed, this, &ClientCommand::failWaiting);
    poller->start();
}

void ClientCommand::videoDimensions()
{
    m_client->getVideoDimensions(m_argument, this, [this](deso::Result<deso::node::VideoDimensions> result) {
        if (!result) {
            fail(result.error());
            return;
        }
        succeed(QStringLiteral("%1x%2").arg(result->width).arg(result->height),
                QJsonObject{{QStringLiteral("width"), result->width}, {QStringLiteral("height"), result->height}});
    });
}

void ClientCommand::tiktok()
{
    m_client->getFullTikTokUrl(m_argument, this, [this](deso::Result<QString> result) {
        if (!result) {
            // A link we cannot read is a usage error: nothing was sent.
            fail(result.error(), result.error().code == QLatin1String("tiktok.bad_link") ? int(ExitUsage) : -1);
            return;
        }
        succeed(*result, QJsonObject{{QStringLiteral("FullTikTokURL"), *result}});
    });
}

} // namespace

bool isClientCommand(int argc, char **argv)
{
    return argc >= 2 && kCommands.contains(QString::fromLocal8Bit(argv[1]));
}

int runClientCommand(const QStringList &arguments)
{
    ClientCommand command(arguments.value(1));
    if (const std::optional<int> early = command.parse(arguments))
        return *early;
    QMetaObject::invokeMethod(&command, [&command] { command.start(); }, Qt::QueuedConnection);
    return QCoreApplication::exec();
}
