// upload_wire_bench: how close the app's own tus client comes to wire speed (issue 15).
// One run uploads the same 250 MiB random file over loopback along every path below,
// in interleaved rounds (3 by default, the order reversed every other round), and keeps
// each path's times, best and median, with the CPU time its client and its server used
// (CPU time varies far less than wall time on a shared machine):
//   curl, creation POST + one PATCH -> own host (the reference: what the host can take;
//                             the creation is timed as the other clients' is)
//   own client (deso-media upload-video --chunk-size 50M, checksums on: crc32) -> own host
//   the same with --checksum sha256 (a cryptographic digest on both ends) and with
//   --no-checksum (what hashing every byte on both ends costs)
//   own client                -> @tus/server   (Node; an independent tus server)
//   tus-js-client 4, 50 MiB   -> own host
//   tus-js-client 4, 50 MiB   -> @tus/server
//   curl, creation POST + one PATCH -> @tus/server
//   UploadTask in this process (the GUI's uploads: the same class the CLI runs) -> own host
//   curl -F, one multipart POST (media-server upload-video) -> own host (the multipart reference)
//   own client --media-server --multipart (the same POST, streamed by the plain-socket sender) -> own host
// It prints MiB/s and ratios, the own client's peak RSS, the host's RSS growth and
// whether every file the host stored has the source's SHA-256. It prints, never asserts
// (exit status 1 only when an upload fails or a stored file differs).
//
// Node rows need node + npm: the packages are installed into DESO_BENCH_NODE_DIR on the
// first run; without Node they are skipped with a message.
//
// Usage: upload_wire_bench [--mib N] [--rounds N] [--no-node] [--deso-media PATH] [--compare PATH]
//   --deso-media: another build's binary for the host and the own client rows.
//   --compare: another build's binary as a client in rows of its own, interleaved with this
//   build's (a before/after of the client in one run, on the same machine at the same time).

#include "identity/keys.h"
#include "node/nodeclient.h"
#include "testfiles.h"
#include "tus/incrementaldigest.h"
#include "upload/credentials.h"
#include "upload/uploadtask.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QMap>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTextStream>
#include <QTimer>

#include <algorithm>
#include <csignal>
#include <functional>
#include <optional>

#include <sys/resource.h>
#include <unistd.h>

namespace {

QTextStream out(stdout);

constexpr qint64 kChunkMiB = 50;

struct RunResult {
    double seconds = -1;       // < 0: failed
    qint64 peakRssKiB = 0;     // the client process's VmHWM (own client only)
    QString problem;
    double clientCpu = 0;      // user + system seconds of the client (child or this process)
    double serverCpu = 0;      // user + system seconds the server process used meanwhile
};

double seconds(const timeval &t)
{
    return double(t.tv_sec) + double(t.tv_usec) / 1e6;
}

// CPU seconds of this process's reaped children (QProcess reaps them), or of this process.
double rusageCpu(int who)
{
    rusage usage{};
    ::getrusage(who, &usage);
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// user + system seconds of a running process, from /proc/PID/stat.
double processCpu(qint64 pid)
{
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (pid <= 0 || !stat.open(QIODevice::ReadOnly))
        return 0;
    const QByteArray text = stat.readAll();
    // Fields after the command name (which may hold spaces) : state is field 3, utime 14, stime 15.
    const QList<QByteArray> fields = text.mid(text.lastIndexOf(')') + 2).split(' ');
    if (fields.size() < 13)
        return 0;
    return double(fields.at(11).toLongLong() + fields.at(12).toLongLong()) / double(::sysconf(_SC_CLK_TCK));
}

// Waits (at most 10 s) until the servers have gone quiet: the host probes a finished upload
// in the background, and that work must neither slow the next row nor count as its CPU.
void waitUntilIdle(const QList<qint64> &pids)
{
    auto cpu = [&] {
        double sum = 0;
        for (const qint64 pid : pids)
            sum += processCpu(pid);
        return sum;
    };
    QElapsedTimer clock;
    clock.start();
    double before = cpu();
    while (clock.elapsed() < 10000) {
        QEventLoop wait;
        QTimer::singleShot(100, &wait, &QEventLoop::quit);
        wait.exec(); // the servers' output pipes drain meanwhile
        const double now = cpu();
        if (now - before < 0.005)
            return;
        before = now;
    }
}

double median(QList<double> values)
{
    if (values.isEmpty())
        return -1;
    std::sort(values.begin(), values.end());
    const qsizetype n = values.size();
    return n % 2 ? values.at(n / 2) : (values.at(n / 2 - 1) + values.at(n / 2)) / 2;
}

// Runs a child to its end while the event loop keeps turning (the host's log pipe drains),
// sampling its peak RSS from /proc as it goes.
RunResult runTimed(const QString &program, const QStringList &arguments, const QProcessEnvironment &env,
                   const std::function<bool(const QByteArray &stdoutText, QString *problem)> &succeeded)
{
    RunResult result;
    QProcess child;
    child.setProcessEnvironment(env);
    QTimer sampler;
    QObject::connect(&sampler, &QTimer::timeout, [&] {
        const qint64 kib = testcommon::procStatusBytes(child.processId(), "VmHWM") / 1024;
        result.peakRssKiB = qMax(result.peakRssKiB, kib);
    });
    const double childrenCpuBefore = rusageCpu(RUSAGE_CHILDREN);
    QElapsedTimer clock;
    clock.start();
    child.start(program, arguments);
    sampler.start(20);
    QEventLoop loop;
    QObject::connect(&child, &QProcess::finished, &loop, &QEventLoop::quit);
    QObject::connect(&child, &QProcess::errorOccurred, &loop, &QEventLoop::quit);
    if (child.state() != QProcess::NotRunning)
        loop.exec();
    const double seconds = clock.elapsed() / 1000.0;
    sampler.stop();
    result.clientCpu = rusageCpu(RUSAGE_CHILDREN) - childrenCpuBefore;
    const QByteArray stdoutText = child.readAllStandardOutput();
    if (child.exitStatus() != QProcess::NormalExit || child.exitCode() != 0) {
        result.problem = QStringLiteral("%1 exited with %2: %3 %4")
                             .arg(program).arg(child.exitCode())
                             .arg(QString::fromUtf8(stdoutText.left(300)), QString::fromUtf8(child.readAllStandardError().left(300)));
        return result;
    }
    if (!succeeded(stdoutText, &result.problem))
        return result;
    result.seconds = seconds;
    return result;
}

// A tus creation POST; returns the Location (absolute) or an empty URL.
QUrl createUpload(const QUrl &endpoint, qint64 length)
{
    QNetworkAccessManager nam;
    QNetworkRequest request(endpoint);
    request.setRawHeader("Tus-Resumable", "1.0.0");
    request.setRawHeader("Upload-Length", QByteArray::number(length));
    request.setHeader(QNetworkRequest::ContentLengthHeader, 0);
    QNetworkReply *reply = nam.post(request, QByteArray());
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    loop.exec();
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QByteArray location = reply->rawHeader("Location");
    reply->deleteLater();
    if ((status != 200 && status != 201) || location.isEmpty())
        return {};
    return endpoint.resolved(QUrl::fromEncoded(location));
}

deso::Result<QByteArray> sha256OfFile(const QString &path)
{
    auto digest = deso::tus::IncrementalDigest::create(deso::tus::ChecksumAlgorithm::Sha256);
    if (!digest.ok())
        return digest.error();
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return deso::Error(QStringLiteral("bench.read"), QStringLiteral("Cannot read %1.").arg(path));
    if (auto added = digest->addFileRange(file.handle(), 0, file.size()); !added.ok())
        return added.error();
    return digest->result();
}

// A server child that prints "listening on http://..." (deso-media) or "port N" (node).
struct ServerChild {
    QProcess process;
    QUrl endpoint; // the tus creation URL
    bool start(const QString &program, const QStringList &arguments, const QRegularExpression &ready,
               const QString &endpointPath)
    {
        process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        process.start(program, arguments);
        if (!process.waitForStarted())
            return false;
        QByteArray text;
        for (int i = 0; i < 200 && !endpoint.isValid(); ++i) {
            process.waitForReadyRead(100);
            text += process.readAllStandardOutput();
            const auto m = ready.match(QString::fromUtf8(text));
            if (m.hasMatch())
                endpoint = QUrl(m.captured(1)).resolved(QUrl(endpointPath));
        }
        if (!endpoint.isValid())
            return false;
        // Request logs must never fill the pipe.
        QObject::connect(&process, &QProcess::readyReadStandardOutput, &process, [this] { process.readAllStandardOutput(); });
        return true;
    }
    void stop()
    {
        if (process.state() == QProcess::NotRunning)
            return;
        ::kill(pid_t(process.processId()), SIGTERM);
        if (!process.waitForFinished(10000))
            process.kill();
    }
};

// Installs @tus/server, @tus/file-store and tus-js-client 4 once into the node folder
// and writes the two scripts the bench runs. Returns why not, or an empty string.
QString prepareNode(const QString &nodeDir)
{
    if (QStandardPaths::findExecutable(QStringLiteral("node")).isEmpty()
        || QStandardPaths::findExecutable(QStringLiteral("npm")).isEmpty())
        return QStringLiteral("node/npm not found");
    QDir().mkpath(nodeDir);
    const bool installed = QFile::exists(nodeDir + QStringLiteral("/node_modules/@tus/server/package.json"))
        && QFile::exists(nodeDir + QStringLiteral("/node_modules/@tus/file-store/package.json"))
        && QFile::exists(nodeDir + QStringLiteral("/node_modules/tus-js-client/package.json"));
    if (!installed) {
        out << "upload_wire_bench: installing @tus/server 2, @tus/file-store 2, tus-js-client 4 into " << nodeDir << Qt::endl;
        if (!QFile::exists(nodeDir + QStringLiteral("/package.json"))) {
            QFile package(nodeDir + QStringLiteral("/package.json"));
            if (!package.open(QIODevice::WriteOnly) || package.write("{\"private\": true}\n") < 0)
                return QStringLiteral("cannot write package.json");
        }
        QProcess npm;
        npm.setWorkingDirectory(nodeDir);
        npm.start(QStringLiteral("npm"), {QStringLiteral("install"), QStringLiteral("--no-audit"), QStringLiteral("--no-fund"),
                                          QStringLiteral("--loglevel=error"), QStringLiteral("@tus/server@2"),
                                          QStringLiteral("@tus/file-store@2"), QStringLiteral("tus-js-client@4")});
        if (!npm.waitForFinished(600000) || npm.exitCode() != 0)
            return QStringLiteral("npm install failed: ") + QString::fromUtf8(npm.readAllStandardError().left(300));
    }
    // @tus/server mounted where the node serves tus creation, storing into argv[2].
    const QByteArray serverScript = R"(import http from 'node:http';
import {Server} from '@tus/server';
import {FileStore} from '@tus/file-store';
const tus = new Server({path: '/api/v0/upload-video', datastore: new FileStore({directory: process.argv[2]})});
const server = http.createServer((req, res) => tus.handle(req, res));
server.listen(0, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}/ `));
process.on('SIGTERM', () => process.exit(0));
)";
    // tus-js-client 4 in Node: a file stream in 50 MiB chunks, as the DeSo web client did.
    const QByteArray clientScript = R"(import fs from 'node:fs';
import * as tus from 'tus-js-client';
const [endpoint, file, chunkSize] = process.argv.slice(2);
const size = fs.statSync(file).size;
const upload = new tus.Upload(fs.createReadStream(file), {
  endpoint, uploadSize: size, chunkSize: Number(chunkSize), retryDelays: [0],
  metadata: {filename: 'source.bin', filetype: 'video/mp4'},
  onError: (e) => { console.error(String(e)); process.exit(1); },
  onSuccess: () => { console.log(upload.url); process.exit(0); },
});
upload.start();
)";
    for (const auto &[name, text] : {std::pair{QStringLiteral("tus-server.mjs"), serverScript},
                                     std::pair{QStringLiteral("tus-js-upload.mjs"), clientScript}}) {
        QFile f(nodeDir + QLatin1Char('/') + name);
        if (!f.open(QIODevice::WriteOnly) || f.write(text) != text.size())
            return QStringLiteral("cannot write ") + name;
    }
    return {};
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    qint64 mib = 250;
    int rounds = 3;
    QString desoMedia = QStringLiteral(DESO_MEDIA_BIN);
    QString compareClient; // another build's client, in rows of its own beside this build's
    const QStringList args = app.arguments();
    for (int i = 1; i + 1 < args.size(); ++i) {
        if (args[i] == QLatin1String("--mib")) mib = args[i + 1].toLongLong();
        if (args[i] == QLatin1String("--rounds")) rounds = args[i + 1].toInt();
        if (args[i] == QLatin1String("--deso-media")) desoMedia = args[i + 1];
        if (args[i] == QLatin1String("--compare")) compareClient = args[i + 1];
    }
    const qint64 total = mib * 1024 * 1024;

    QTemporaryDir dir;
    const QString source = dir.filePath(QStringLiteral("source.bin"));
    if (!testcommon::writeRandomFile(source, total, 15)) {
        out << "upload_wire_bench: cannot write " << source << Qt::endl;
        return 1;
    }
    if (QFile f(source); f.open(QIODevice::ReadOnly))
        ::fsync(f.handle()); // the source is on disk before timing starts
    const auto sourceSha = sha256OfFile(source);
    if (!sourceSha.ok()) {
        out << "upload_wire_bench: " << sourceSha.error().message << Qt::endl;
        return 1;
    }

    // The CLI keeps its resume store under XDG_DATA_HOME: a private one per run.
    QProcessEnvironment clientEnv = QProcessEnvironment::systemEnvironment();
    clientEnv.insert(QStringLiteral("XDG_DATA_HOME"), dir.filePath(QStringLiteral("xdg")));
    clientEnv.insert(QStringLiteral("XDG_CONFIG_HOME"), dir.filePath(QStringLiteral("xdg-config")));

    ServerChild host;
    const QString hostDir = dir.filePath(QStringLiteral("host"));
    if (!host.start(desoMedia,
                    {QStringLiteral("--serve"), QStringLiteral("--port"), QStringLiteral("0"), QStringLiteral("--data-dir"), hostDir},
                    QRegularExpression(QStringLiteral("listening on (http://[^ ]+) ")), QStringLiteral("/api/v0/upload-video"))) {
        out << "upload_wire_bench: the host did not start" << Qt::endl;
        return 1;
    }
    const qint64 hostPid = host.process.processId();
    const qint64 hostBaselineKiB = testcommon::procStatusBytes(hostPid, "VmRSS") / 1024;

    ServerChild tusServer;
    QString nodeProblem = args.contains(QStringLiteral("--no-node")) ? QStringLiteral("--no-node given")
                                                                     : prepareNode(QStringLiteral(DESO_BENCH_NODE_DIR));
    if (nodeProblem.isEmpty()) {
        tusServer.process.setWorkingDirectory(QStringLiteral(DESO_BENCH_NODE_DIR));
        if (!tusServer.start(QStringLiteral("node"), {QStringLiteral("tus-server.mjs"), dir.filePath(QStringLiteral("tus-server"))},
                             QRegularExpression(QStringLiteral("listening on (http://[^ ]+) ")), QStringLiteral("/api/v0/upload-video")))
            nodeProblem = QStringLiteral("@tus/server did not start");
    }
    const bool withNode = nodeProblem.isEmpty();
    if (!withNode)
        out << "upload_wire_bench: Node rows skipped (" << nodeProblem << ")" << Qt::endl;

    const QUrl hostEndpoint = host.endpoint;
    const QUrl tusServerEndpoint = tusServer.endpoint;
    auto nodeBase = [](const QUrl &endpoint) { return endpoint.resolved(QUrl(QStringLiteral("/"))).toString(); };

    // The creation is timed too: every other client's time includes its own.
    auto curlPatch = [&](const QUrl &endpoint) {
        QElapsedTimer creationClock;
        creationClock.start();
        const QUrl upload = createUpload(endpoint, total);
        const double creationSeconds = creationClock.elapsed() / 1000.0;
        if (!upload.isValid())
            return RunResult{-1, 0, QStringLiteral("creation at %1 failed").arg(endpoint.toString())};
        RunResult patched = runTimed(QStringLiteral("curl"),
                        {QStringLiteral("-sS"), QStringLiteral("-o"), QStringLiteral("/dev/null"), QStringLiteral("-w"),
                         QStringLiteral("%{http_code}"), QStringLiteral("-X"), QStringLiteral("PATCH"), QStringLiteral("-T"), source,
                         QStringLiteral("-H"), QStringLiteral("Tus-Resumable: 1.0.0"), QStringLiteral("-H"),
                         QStringLiteral("Upload-Offset: 0"), QStringLiteral("-H"),
                         QStringLiteral("Content-Type: application/offset+octet-stream"), upload.toString()},
                        clientEnv, [](const QByteArray &status, QString *problem) {
                            if (status == "204")
                                return true;
                            *problem = QStringLiteral("curl PATCH answered ") + QString::fromLatin1(status);
                            return false;
                        });
        if (patched.seconds >= 0)
            patched.seconds += creationSeconds;
        return patched;
    };
    auto ownClient = [&](const QUrl &endpoint, const QStringList &extra = {}, const QString &binary = {}) {
        return runTimed(binary.isEmpty() ? desoMedia : binary,
                        QStringList{QStringLiteral("upload-video"), source, QStringLiteral("--node"), nodeBase(endpoint),
                                    QStringLiteral("--chunk-size"), QStringLiteral("%1M").arg(kChunkMiB),
                                    QStringLiteral("--no-resume"), QStringLiteral("--json")} + extra,
                        clientEnv, [](const QByteArray &text, QString *problem) {
                            if (text.contains("StreamMediaId") || text.contains("UploadURL"))
                                return true;
                            *problem = QStringLiteral("upload-video printed ") + QString::fromUtf8(text.left(300));
                            return false;
                        });
    };
    auto tusJs = [&](const QUrl &endpoint) {
        QProcessEnvironment env = clientEnv;
        env.insert(QStringLiteral("NODE_PATH"), QStringLiteral(DESO_BENCH_NODE_DIR "/node_modules"));
        return runTimed(QStringLiteral("node"),
                        {QStringLiteral(DESO_BENCH_NODE_DIR "/tus-js-upload.mjs"), endpoint.toString(), source,
                         QString::number(kChunkMiB * 1024 * 1024)},
                        env, [](const QByteArray &text, QString *problem) {
                            if (text.startsWith("http"))
                                return true;
                            *problem = QStringLiteral("tus-js-client printed ") + QString::fromUtf8(text.left(300));
                            return false;
                        });
    };

    // The GUI's path: an UploadTask in this process (what ui/ queues), same options as the CLI row.
    auto uploadTask = [&](const QUrl &endpoint) {
        RunResult result;
        deso::node::NodeClient client(QUrl(nodeBase(endpoint)));
        deso::upload::UploadOptions options;
        options.tus.chunkSize = kChunkMiB * 1024 * 1024;
        options.tus.resume = false;
        options.tus.storeFile = dir.filePath(QStringLiteral("task-store.json"));
        options.followProcessing = false;
        deso::upload::UploadTask task(&client, source, deso::upload::MediaKind::Video, options);
        QEventLoop loop;
        QObject::connect(&task, &deso::upload::UploadTask::finished, &loop, &QEventLoop::quit);
        QObject::connect(&task, &deso::upload::UploadTask::failed, &loop, [&](const deso::Error &error) {
            result.problem = error.message;
            loop.quit();
        });
        const double cpuBefore = rusageCpu(RUSAGE_SELF);
        QElapsedTimer clock;
        clock.start();
        task.start();
        loop.exec();
        if (result.problem.isEmpty())
            result.seconds = clock.elapsed() / 1000.0;
        result.clientCpu = rusageCpu(RUSAGE_SELF) - cpuBefore;
        return result;
    };
    // The media-server multipart upload needs a signed uploader: a fresh key, signed here.
    const deso::identity::PrivateKey uploaderKey = deso::identity::PrivateKey::generate();
    const deso::upload::Credentials uploader = deso::upload::signWithKey(
        uploaderKey, uploaderKey.publicKey().toBase58Check(deso::identity::Network::Mainnet));
    auto curlForm = [&](const QUrl &endpoint) {
        return runTimed(QStringLiteral("curl"),
                        {QStringLiteral("-sS"), QStringLiteral("-o"), QStringLiteral("/dev/null"), QStringLiteral("-w"),
                         QStringLiteral("%{http_code}"), QStringLiteral("-F"),
                         QStringLiteral("UserPublicKeyBase58Check=") + uploader.publicKey, QStringLiteral("-F"),
                         QStringLiteral("JWT=") + uploader.jwt, QStringLiteral("-F"),
                         QStringLiteral("file=@%1;type=video/mp4").arg(source), endpoint.toString()},
                        clientEnv, [](const QByteArray &status, QString *problem) {
                            if (status == "200")
                                return true;
                            *problem = QStringLiteral("curl -F answered ") + QString::fromLatin1(status);
                            return false;
                        });
    };
    auto ownForm = [&](const QUrl &endpoint) {
        return runTimed(desoMedia,
                        {QStringLiteral("upload-video"), source, QStringLiteral("--node"), nodeBase(endpoint),
                         QStringLiteral("--media-server"), nodeBase(endpoint), QStringLiteral("--multipart"),
                         QStringLiteral("--jwt"), uploader.jwt,
                         QStringLiteral("--public-key"), uploader.publicKey, QStringLiteral("--json")},
                        clientEnv, [](const QByteArray &text, QString *problem) {
                            if (text.contains("\"asset\""))
                                return true;
                            *problem = QStringLiteral("upload-video --media-server printed ") + QString::fromUtf8(text.left(300));
                            return false;
                        });
    };

    struct Row {
        QString name;
        std::function<RunResult()> run;
        bool ownHost = false;
        RunResult best;
        QString reference = {}; // the row its ratio is against; empty: curl's PATCH to the same server
        QList<double> times = {};
        QList<double> clientCpus = {};
        QList<double> serverCpus = {};
    };
    const QString curlFormRow = QStringLiteral("curl -F, one multipart POST -> own host");
    QList<Row> rows{
        {QStringLiteral("curl, creation + one PATCH -> own host"), [&] { return curlPatch(hostEndpoint); }, true, {}},
        {QStringLiteral("own client, 50 MiB chunks, checksums -> own host"), [&] { return ownClient(hostEndpoint); }, true, {}},
        // The default checksum is crc32 (tus/tusprotocol.h); what SHA-256 on both ends would cost:
        {QStringLiteral("own client, 50 MiB chunks, --checksum sha256 -> own host"),
         [&] { return ownClient(hostEndpoint, {QStringLiteral("--checksum"), QStringLiteral("sha256")}); }, true, {}},
        // What the checksums cost (both ends hash every byte): the same upload without them.
        {QStringLiteral("own client, 50 MiB chunks, --no-checksum -> own host"),
         [&] { return ownClient(hostEndpoint, {QStringLiteral("--no-checksum")}); }, true, {}},
    };
    if (withNode) {
        rows << Row{QStringLiteral("own client -> @tus/server"), [&] { return ownClient(tusServerEndpoint); }, false, {}}
             << Row{QStringLiteral("tus-js-client 4, 50 MiB chunks -> own host"), [&] { return tusJs(hostEndpoint); }, true, {}}
             << Row{QStringLiteral("tus-js-client 4 -> @tus/server"), [&] { return tusJs(tusServerEndpoint); }, false, {}}
             << Row{QStringLiteral("curl, creation + one PATCH -> @tus/server"), [&] { return curlPatch(tusServerEndpoint); }, false, {}};
    }
    if (!compareClient.isEmpty()) {
        rows << Row{QStringLiteral("--compare client, checksums -> own host"), [&] { return ownClient(hostEndpoint, {}, compareClient); },
                    true, {}};
        if (withNode)
            rows << Row{QStringLiteral("--compare client -> @tus/server"), [&] { return ownClient(tusServerEndpoint, {}, compareClient); },
                        false, {}};
    }
    rows << Row{QStringLiteral("UploadTask in-process (the GUI's path) -> own host"), [&] { return uploadTask(hostEndpoint); }, true, {}}
         << Row{curlFormRow, [&] { return curlForm(hostEndpoint); }, true, {}, curlFormRow}
         << Row{QStringLiteral("own client, media-server multipart -> own host"), [&] { return ownForm(hostEndpoint); }, true, {},
                curlFormRow};

    bool allOk = true;
    for (int round = 0; round < rounds; ++round) {
        // Alternate the order so that no path always runs on a warmer (or dirtier) machine.
        for (int k = 0; k < rows.size(); ++k) {
            Row &row = rows[round % 2 == 0 ? k : rows.size() - 1 - k];
            ::sync(); // no run pays for the previous run's writeback
            waitUntilIdle({hostPid, tusServer.process.processId()});
            const qint64 serverPid = row.ownHost ? hostPid : tusServer.process.processId();
            const double serverCpuBefore = processCpu(serverPid);
            RunResult r = row.run();
            // Until the server is quiet again: the CPU of the host includes probing the finished upload.
            waitUntilIdle({hostPid, tusServer.process.processId()});
            r.serverCpu = processCpu(serverPid) - serverCpuBefore;
            if (r.seconds < 0) {
                out << "upload_wire_bench: " << row.name << " failed: " << r.problem << Qt::endl;
                allOk = false;
                continue;
            }
            out << QStringLiteral("  round %1  %2: %3 s (CPU: client %4 s, server %5 s)")
                       .arg(round + 1).arg(row.name).arg(r.seconds, 0, 'f', 2).arg(r.clientCpu, 0, 'f', 2).arg(r.serverCpu, 0, 'f', 2)
                << Qt::endl;
            row.times << r.seconds;
            row.clientCpus << r.clientCpu;
            row.serverCpus << r.serverCpu;
            if (row.best.seconds < 0 || r.seconds < row.best.seconds)
                row.best.seconds = r.seconds;
            row.best.peakRssKiB = qMax(row.best.peakRssKiB, r.peakRssKiB);
        }
    }
    const qint64 hostPeakKiB = testcommon::procStatusBytes(hostPid, "VmHWM") / 1024;

    // Integrity: every complete file the host stored is the source, byte for byte.
    int stored = 0, matching = 0;
    const QDir uploads(hostDir + QStringLiteral("/uploads"));
    for (const QString &sub : uploads.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        const QString data = uploads.filePath(sub + QStringLiteral("/data"));
        if (QFileInfo(data).size() != total)
            continue;
        ++stored;
        const auto sha = sha256OfFile(data);
        if (sha.ok() && sha.value() == sourceSha.value())
            ++matching;
    }
    host.stop();
    tusServer.stop();

    auto mibPerSecond = [&](double seconds) { return seconds > 0 ? total / 1048576.0 / seconds : 0.0; };
    auto find = [&](const QString &prefix) -> const Row * {
        for (const Row &row : rows)
            if (row.name == prefix)
                return &row;
        return nullptr;
    };
    const Row *curlOwn = find(QStringLiteral("curl, creation + one PATCH -> own host"));
    const Row *curlTus = find(QStringLiteral("curl, creation + one PATCH -> @tus/server"));
    const Row *jsTus = find(QStringLiteral("tus-js-client 4 -> @tus/server"));

    out << "\nupload_wire_bench: " << mib << " MiB of random bytes over loopback, " << rounds
        << " interleaved rounds; MiB/s best and median; ratios of best to best and median to median;"
           " CPU seconds (median) of the client and of the server (the own host's include probing the finished upload)\n";
    out << QStringLiteral("  %1 %2 %3  %4  %5  %6 %7\n").arg(QStringLiteral("path"), -52).arg(QStringLiteral("best"), 6)
               .arg(QStringLiteral("median"), 6).arg(QStringLiteral("vs curl, same server"), 21)
               .arg(QStringLiteral("vs tus-js->@tus"), 15).arg(QStringLiteral("CPU client"), 10).arg(QStringLiteral("server"), 6);
    auto ratio = [](double ours, double theirs) {
        return theirs > 0 && ours > 0 ? QString::number(ours / theirs, 'f', 2) + QStringLiteral("x") : QStringLiteral("-");
    };
    for (const Row &row : rows) {
        const double best = mibPerSecond(row.best.seconds);
        const double mid = mibPerSecond(median(row.times));
        const Row *reference = !row.reference.isEmpty() ? find(row.reference) : row.ownHost ? curlOwn : curlTus;
        const QString vsCurl = reference ? ratio(best, mibPerSecond(reference->best.seconds)) + QStringLiteral(" / ")
                                               + ratio(mid, mibPerSecond(median(reference->times)))
                                         : QStringLiteral("-");
        const QString vsJs = jsTus ? ratio(best, mibPerSecond(jsTus->best.seconds)) : QStringLiteral("-");
        out << QStringLiteral("  %1 %2 %3  %4  %5  %6 %7\n").arg(row.name, -52).arg(best, 6, 'f', 1).arg(mid, 6, 'f', 1)
                   .arg(vsCurl, 21).arg(vsJs, 15).arg(median(row.clientCpus), 10, 'f', 2).arg(median(row.serverCpus), 6, 'f', 2);
    }
    out << "  (the multipart rows' ratio is against curl -F to the same host)\n";
    out << "  goals: own client -> own host >= 0.90x curl -> own host; >= 1.5x tus-js -> @tus/server; "
           "own client -> @tus/server >= 0.90x curl -> @tus/server; multipart >= 0.90x curl -F\n";
    const Row *own = find(QStringLiteral("own client, 50 MiB chunks, checksums -> own host"));
    out << QStringLiteral("  own client peak RSS: %1 MiB\n").arg(own ? own->best.peakRssKiB / 1024.0 : 0.0, 0, 'f', 1);
    out << QStringLiteral("  host RSS: baseline %1 MiB, peak %2 MiB, growth %3 MiB (bound 2 chunks = %4 MiB)\n")
               .arg(hostBaselineKiB / 1024.0, 0, 'f', 1).arg(hostPeakKiB / 1024.0, 0, 'f', 1)
               .arg((hostPeakKiB - hostBaselineKiB) / 1024.0, 0, 'f', 1).arg(2 * kChunkMiB);
    out << QStringLiteral("  stored files on the own host with the source's SHA-256: %1 of %2\n").arg(matching).arg(stored);
    return allOk && stored > 0 && matching == stored ? 0 : 1;
}
