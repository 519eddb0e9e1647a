// Loads libdeso-media-video.so on first use and forwards core/video's FFmpeg calls to it
// (see videoengine.h).
#include "video/videoengine.h"

#include <QDir>
#include <QFileInfo>
#include <QLibrary>

#include <mutex>

namespace deso::video {

namespace {

Error unavailable(const QString &why)
{
    return Error(QStringLiteral("video.engine_unavailable"),
                 QStringLiteral("The video engine could not be loaded (%1); reinstall deso-media.").arg(why), 500);
}

// Where the module is: DESO_MEDIA_VIDEO_ENGINE when set; the build tree's when the running
// program is in the build tree (tests, benchmarks, a developer's build); otherwise beside an
// installed binary, <prefix>/lib/deso-media/ for <prefix>/bin/deso-media.
QString enginePath()
{
    if (const QString named = qEnvironmentVariable(kVideoEngineEnv); !named.isEmpty())
        return named;
    const QString exe = QFileInfo(QStringLiteral("/proc/self/exe")).canonicalFilePath();
    const QString buildDir = QDir(QStringLiteral(DESO_BUILD_DIR)).canonicalPath();
    if (!buildDir.isEmpty() && exe.startsWith(buildDir + QLatin1Char('/')))
        return QStringLiteral(DESO_VIDEO_ENGINE_BUILD_PATH);
    return QDir(QFileInfo(exe).absolutePath()).filePath(QStringLiteral("../lib/deso-media/") + QLatin1String(kVideoEngineFile));
}

Result<const VideoEngine *> load()
{
    const QString path = enginePath();
    static QLibrary library;
    library.setFileName(path);
    if (!library.load())
        return unavailable(library.errorString());
    using Entry = const VideoEngine *(*)();
    const auto entry = reinterpret_cast<Entry>(library.resolve("deso_media_video_engine"));
    const VideoEngine *engine = entry ? entry() : nullptr;
    if (!engine)
        return unavailable(QStringLiteral("%1 has no engine table").arg(path));
    if (qstrcmp(engine->buildStamp, DESO_VIDEO_ENGINE_STAMP) != 0)
        return unavailable(QStringLiteral("%1 is from another build").arg(path));
    return engine;
}

} // namespace

Result<const VideoEngine *> videoEngine()
{
    static std::once_flag once;
    static Result<const VideoEngine *> loaded = Error(QString(), QString());
    std::call_once(once, [] { loaded = load(); });
    return loaded;
}

Result<VideoInfo> VideoProbe::probe(const QString &path)
{
    auto engine = videoEngine();
    if (!engine.ok())
        return engine.error();
    return engine.value()->probe(path);
}

Result<HlsOutput> HlsTranscoder::transcode(const QString &inputPath, const QString &outputDir, const HlsOptions &options,
                                           const std::atomic<bool> *cancel, const ProgressCallback &progress)
{
    auto engine = videoEngine();
    if (!engine.ok())
        return engine.error();
    return engine.value()->transcode(inputPath, outputDir, options, cancel, progress);
}

Result<VideoInfo> HlsTranscoder::encodeMp4(const QString &inputPath, const QString &outputPath, const Mp4Encoding &encoding,
                                           const std::atomic<bool> *cancel, const ProgressCallback &progress)
{
    auto engine = videoEngine();
    if (!engine.ok())
        return engine.error();
    return engine.value()->encodeMp4(inputPath, outputPath, encoding, cancel, progress);
}

} // namespace deso::video
