// image_bench: core/image's ImagePipeline against `vips thumbnail` on the same inputs
// to the same size and quality. Not a test: it prints numbers and ratios.
//
// Every measured run is a separate child process (this executable re-executed with
// --run-pipeline, or vips), started with posix_spawn and reaped with wait4() by a small
// helper process (--measure), so wall time covers the same work for both (start, read,
// decode, scale, encode, write) and peak RSS is each run's own ru_maxrss. SSIM of both outputs is computed by ffmpeg
// against one high-quality reference (ffmpeg lanczos downscale of the input).
//
//   image_bench [--runs N] [--quality Q] [--method M] [--dir DIR] [--only NAME]
//   image_bench --breakdown FILE     time decode+scale and encode separately, in process
#include "image/exiforientation.h"
#include "image/imageformat.h"
#include "image/imagepipeline.h"
#include "image/scaleddecoder.h"
#include "image/thumbnailer.h"
#include "image/webpencoder.h"

#include <QBuffer>
#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QImageWriter>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTextStream>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <png.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

using namespace deso::image;

namespace {

QTextStream out(stdout);

struct Measured {
    bool ok = false;
    double wallMs = 0;
    long maxRssKb = 0;
};

// Runs argv with stdout/stderr to /dev/null; wall clock from spawn to reap.
// Called only in the small "--measure" helper process: Linux carries the parent's RSS
// high-water mark into a spawned child's ru_maxrss (vfork shares the mm until exec),
// so measuring from the big bench process would report its RSS, not the child's.
Measured spawnAndWait(char **argv)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    Measured m;
    timespec t0 {}, t1 {};
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = 0;
    const int rc = posix_spawnp(&pid, argv[0], &fa, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return m;
    int status = 0;
    rusage ru {};
    if (wait4(pid, &status, 0, &ru) != pid)
        return m;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    m.wallMs = double(t1.tv_sec - t0.tv_sec) * 1e3 + double(t1.tv_nsec - t0.tv_nsec) / 1e6;
    m.maxRssKb = ru.ru_maxrss;
    m.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    return m;
}

// One measured run, through a fresh helper process (this executable with --measure).
Measured spawnMeasured(const QString &self, const QStringList &args)
{
    QProcess p;
    p.start(self, QStringList {QStringLiteral("--measure")} + args);
    Measured m;
    if (!p.waitForFinished(10 * 60 * 1000) || p.exitCode() != 0)
        return m;
    const QStringList parts = QString::fromLatin1(p.readAllStandardOutput()).split(QLatin1Char(' '));
    if (parts.size() != 3)
        return m;
    m.ok = parts[0] == QLatin1String("ok");
    m.wallMs = parts[1].toDouble();
    m.maxRssKb = parts[2].toLong();
    return m;
}

bool runTool(const QString &program, const QStringList &args, QString *stderrText = nullptr)
{
    QProcess p;
    p.start(program, args);
    if (!p.waitForFinished(10 * 60 * 1000))
        return false;
    if (stderrText)
        *stderrText = QString::fromLocal8Bit(p.readAllStandardError());
    return p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
}

// Photographic stand-in: smooth gradients, soft low-frequency waves and sensor-like
// noise; a fixed LCG so every machine generates the same bytes.
QImage photo(int w, int h, quint32 seed)
{
    QImage img(w, h, QImage::Format_RGB888);
    quint32 s = seed;
    for (int y = 0; y < h; ++y) {
        uchar *p = img.scanLine(y);
        const double fy = double(y) / h;
        for (int x = 0; x < w; ++x) {
            const double fx = double(x) / w;
            s = s * 1664525u + 1013904223u;
            const int n = int((s >> 24) % 25u) - 12;
            const double wave = 40.0 * std::sin(fx * 17.0 + std::sin(fy * 9.0) * 3.0) * std::cos(fy * 11.0);
            p[x * 3 + 0] = uchar(std::clamp(int(255 * fx * 0.8 + 30 + wave) + n, 0, 255));
            p[x * 3 + 1] = uchar(std::clamp(int(255 * fy * 0.7 + 40 - wave * 0.5) + n, 0, 255));
            p[x * 3 + 2] = uchar(std::clamp(int(128 + 60 * std::sin((fx + fy) * 23.0) + wave * 0.3) + n, 0, 255));
        }
    }
    return img;
}

// A 12000×12000 PNG written row by row (the bench itself must not need 432 MB for it):
// smooth shapes, so it is small on disk and a "decompression bomb" in memory.
bool writeBigPng(const QString &path, int w, int h)
{
    FILE *f = std::fopen(QFile::encodeName(path).constData(), "wb");
    if (!f)
        return false;
    std::vector<uchar> row(size_t(w) * 3);  // before setjmp: a longjmp must skip no destructor
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        std::fclose(f);
        return false;
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, png_uint_32(w), png_uint_32(h), 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, 6);
    png_write_info(png, info);
    for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
            const int dx = x - w / 2, dy = y - h / 3;
            const int ring = int(std::sqrt(double(dx) * dx + double(dy) * dy)) / 40;
            row[size_t(x) * 3 + 0] = uchar(x * 255 / w);
            row[size_t(x) * 3 + 1] = uchar(y * 255 / h);
            row[size_t(x) * 3 + 2] = uchar((ring & 1) ? 200 : 60);
        }
        png_write_row(png, row.data());
    }
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    return std::fclose(f) == 0;
}

// A JPEG APP1 "Exif" segment holding only the orientation tag, inserted after SOI:
// the shape a phone gives a photo taken in portrait.
QByteArray withExifOrientation(const QByteArray &jpeg, int orientation)
{
    QByteArray tiff("MM\0*\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\0\0\0\0\0\0\0", 26);
    tiff[19] = char(orientation);
    const QByteArray body = QByteArray("Exif\0\0", 6) + tiff;
    QByteArray segment("\xFF\xE1", 2);
    segment += char((body.size() + 2) >> 8);
    segment += char((body.size() + 2) & 0xff);
    return jpeg.left(2) + segment + body + jpeg.mid(2);
}

double ssim(const QString &image, const QString &reference)
{
    QString err;
    const QStringList args = {"-hide_banner", "-nostats", "-i", image, "-i", reference, "-lavfi",
                              "[0:v]format=yuv420p[a];[1:v]format=yuv420p[b];[a][b]ssim", "-f", "null", "-"};
    if (!runTool(QStringLiteral("ffmpeg"), args, &err))
        return -1;
    const auto m = QRegularExpression(QStringLiteral("All:([0-9.]+)")).match(err);
    return m.hasMatch() ? m.captured(1).toDouble() : -1;
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n == 0 ? 0 : (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2);
}

int runPipeline(const QStringList &args)
{
    // --run-pipeline IN OUT QUALITY METHOD THREADED(0|1)
    if (args.size() < 7)
        return 64;
    QFile in(args[2]);
    if (!in.open(QIODevice::ReadOnly))
        return 2;
    const QByteArray bytes = in.readAll();
    PipelineOptions o;
    o.webpQuality = args[4].toInt();
    o.webpMethod = args[5].toInt();
    o.multiThreaded = args[6] == QLatin1String("1");
    o.maxFileBytes = 0;
    auto r = ImagePipeline::process(bytes, {}, o);
    if (!r.ok()) {
        std::fprintf(stderr, "%s\n", qPrintable(r.error().toString()));
        return 1;
    }
    QFile outFile(args[3]);
    if (!outFile.open(QIODevice::WriteOnly) || outFile.write(r->bytes) != r->bytes.size())
        return 3;
    return 0;
}

double threadCpuMs()
{
    timespec ts {};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

class NullSink final : public RowSink {
public:
    deso::Status begin(QSize, int) override { return {}; }
    void row(int, const uchar *) override {}
};

int breakdown(const QString &path, int quality, int method)
{
    QFile in(path);
    if (!in.open(QIODevice::ReadOnly))
        return 2;
    const QByteArray bytes = in.readAll();
    auto header = readHeader(bytes);
    if (!header.ok())
        return 1;
    const QSize target = ImagePipeline::targetSize(header->size);
    {
        // CPU time (this thread) of each stage, immune to other processes' load.
        NullSink null;
        double t0 = threadCpuMs();
        (void)decodeScaled(bytes, *header, target, null);
        const double pipelineDecode = threadCpuMs() - t0;
        RowResampler lanczos(target, null, ResampleKernel::Lanczos3);
        t0 = threadCpuMs();
        (void)decodeScaled(bytes, *header, header->size, lanczos);
        const double fullPlusLanczos = threadCpuMs() - t0;
        t0 = threadCpuMs();
        (void)decodeScaled(bytes, *header, header->size, null);
        const double fullDecode = threadCpuMs() - t0;
        t0 = threadCpuMs();
        (void)decodeScaled(bytes, *header, target, null, ResampleKernel::Bicubic);
        const double pipelineBicubic = threadCpuMs() - t0;
        out << QStringLiteral("cpu ms: full decode %1 | full decode + lanczos3 %2 | shrink-on-load decode + lanczos3 "
                              "%3 | same with bicubic %4\n")
                   .arg(fullDecode, 0, 'f', 0).arg(fullPlusLanczos, 0, 'f', 0).arg(pipelineDecode, 0, 'f', 0)
                   .arg(pipelineBicubic, 0, 'f', 0);
        // The resampler alone, fed from memory: decode at the DCT-scaled size first.
        for (int m = 8; m >= 4; --m) {
            const QSize dct((header->size.width() * m + 7) / 8, (header->size.height() * m + 7) / 8);
            if (dct.width() < target.width() || dct.height() < target.height())
                break;
            t0 = threadCpuMs();
            auto scaled = decodeToImage(bytes, *header, dct);
            const double dctMs = threadCpuMs() - t0;
            if (!scaled.ok())
                break;
            for (ResampleKernel k : {ResampleKernel::Lanczos3, ResampleKernel::Bicubic}) {
                RowResampler rs(target, null, k);
                t0 = threadCpuMs();
                (void)rs.begin(dct, 3);
                for (int y = 0; y < dct.height(); ++y)
                    rs.row(y, scaled->constScanLine(y));
                (void)rs.finish();
                out << QStringLiteral("cpu ms: decode at %1/8 (%2x%3) %4 | resample to target (%5) %6\n")
                           .arg(m).arg(dct.width()).arg(dct.height()).arg(dctMs, 0, 'f', 0)
                           .arg(k == ResampleKernel::Lanczos3 ? "lanczos3" : "bicubic").arg(threadCpuMs() - t0, 0, 'f', 0);
            }
        }
        t0 = threadCpuMs();
        QElapsedTimer wall;
        wall.start();
        auto thumb = makeThumbnail(bytes, QSize(320, 320));
        out << QStringLiteral("thumbnail 320x320: %1 ms cpu, %2 ms wall\n").arg(threadCpuMs() - t0, 0, 'f', 0)
                   .arg(wall.nsecsElapsed() / 1e6, 0, 'f', 0);
        auto img = decodeToImage(bytes, *header, target);
        for (int m : {0, 1, 2, 3, 4}) {
            t0 = threadCpuMs();
            auto e = encodeWebp(*img, WebpEncodeSettings {quality, m, false});
            out << QStringLiteral("cpu ms: encode method %1: %2 ms, %3 bytes\n").arg(m).arg(threadCpuMs() - t0, 0, 'f', 0)
                       .arg(e.ok() ? e->size() : -1);
        }
        out.flush();
    }
    for (int round = 0; round < 1; ++round) {
        QElapsedTimer t;
        t.start();
        auto img = decodeToImage(bytes, *header, target);
        const double decodeMs = t.nsecsElapsed() / 1e6;
        if (!img.ok())
            return 1;
        t.restart();
        auto enc1 = encodeWebp(*img, WebpEncodeSettings {quality, method, false});
        const double enc1Ms = t.nsecsElapsed() / 1e6;
        t.restart();
        auto enc2 = encodeWebp(*img, WebpEncodeSettings {quality, method, true});
        const double enc2Ms = t.nsecsElapsed() / 1e6;
        t.restart();
        PipelineOptions o;
        o.webpQuality = quality;
        o.webpMethod = method;
        o.maxFileBytes = 0;
        auto whole = ImagePipeline::process(bytes, {}, o);
        const double wholeMs = t.nsecsElapsed() / 1e6;
        out << QStringLiteral("%1: decode+scale %2 ms | encode m%3 1 thread %4 ms, threaded %5 ms (%6 bytes) | "
                              "process() %7 ms\n")
                   .arg(QFileInfo(path).fileName()).arg(decodeMs, 0, 'f', 0).arg(method).arg(enc1Ms, 0, 'f', 0)
                   .arg(enc2Ms, 0, 'f', 0).arg(enc2.ok() ? enc2->size() : -1).arg(wholeMs, 0, 'f', 0);
        out.flush();
    }
    return 0;
}

struct Case {
    QString name;
    QString file;
};

} // namespace

int main(int argc, char **argv)
{
    if (argc > 2 && std::strcmp(argv[1], "--measure") == 0) {
        // Before any Qt initialisation, so this process stays a few MB.
        const Measured m = spawnAndWait(argv + 2);
        std::printf("%s %.1f %ld", m.ok ? "ok" : "failed", m.wallMs, m.maxRssKb);
        return 0;
    }
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() > 1 && args[1] == QLatin1String("--run-pipeline"))
        return runPipeline(args);

    int runs = 5, quality = 75, method = PipelineOptions().webpMethod;
    QString dir = QDir::temp().filePath(QStringLiteral("deso-image-bench"));
    QString only, breakdownFile;
    bool threaded = true;
    for (int i = 1; i < args.size(); ++i) {
        const QString &a = args[i];
        const QString next = i + 1 < args.size() ? args[i + 1] : QString();
        if (a == QLatin1String("--runs")) { runs = std::max(1, next.toInt()); ++i; }
        else if (a == QLatin1String("--quality")) { quality = next.toInt(); ++i; }
        else if (a == QLatin1String("--method")) { method = next.toInt(); ++i; }
        else if (a == QLatin1String("--dir")) { dir = next; ++i; }
        else if (a == QLatin1String("--only")) { only = next; ++i; }
        else if (a == QLatin1String("--single-thread")) { threaded = false; }
        else if (a == QLatin1String("--breakdown")) { breakdownFile = next; ++i; }
        else {
            out << "usage: image_bench [--runs N] [--quality Q] [--method M] [--single-thread] [--dir DIR] "
                   "[--only photo6000|photo4000|png12000|rotated6000] | --breakdown FILE\n";
            return a == QLatin1String("--help") ? 0 : 64;
        }
    }
    if (!breakdownFile.isEmpty())
        return breakdown(breakdownFile, quality, method);

    for (const char *tool : {"vips", "ffmpeg"}) {
        if (QStandardPaths::findExecutable(QString::fromLatin1(tool)).isEmpty()) {
            out << "image_bench needs `" << tool << "` (install with: packaging/install-deps.sh --bench)\n";
            return 2;
        }
    }
    QDir().mkpath(dir);
    const QString self = QCoreApplication::applicationFilePath();

    const QList<Case> cases = {
        {QStringLiteral("photo6000"), QDir(dir).filePath(QStringLiteral("photo-6000x4000-q92.jpg"))},
        {QStringLiteral("photo4000"), QDir(dir).filePath(QStringLiteral("photo-4000x3000-q92.jpg"))},
        {QStringLiteral("png12000"), QDir(dir).filePath(QStringLiteral("flat-12000x12000.png"))},
        // The 6000×4000 photo as a phone stores a portrait shot: EXIF orientation 6.
        {QStringLiteral("rotated6000"), QDir(dir).filePath(QStringLiteral("photo-6000x4000-q92-exif6.jpg"))},
    };
    // Deterministic inputs, generated once per directory.
    for (const Case &c : cases) {
        if (QFileInfo::exists(c.file) || (!only.isEmpty() && c.name != only))
            continue;
        out << "generating " << c.file << " ...\n";
        out.flush();
        bool ok = false;
        if (c.name == QLatin1String("png12000")) {
            ok = writeBigPng(c.file, 12000, 12000);
        } else if (c.name == QLatin1String("rotated6000")) {
            QByteArray jpeg;
            QBuffer buffer(&jpeg);
            buffer.open(QIODevice::WriteOnly);
            QImageWriter w(&buffer, "jpeg");
            w.setQuality(92);
            ok = w.write(photo(6000, 4000, 20261127));
            const QByteArray rotated = withExifOrientation(jpeg, 6);
            QFile f(c.file);
            ok = ok && f.open(QIODevice::WriteOnly) && f.write(rotated) == rotated.size();
        } else {
            const QSize size = c.name == QLatin1String("photo6000") ? QSize(6000, 4000) : QSize(4000, 3000);
            QImageWriter w(c.file, "jpeg");
            w.setQuality(92);
            ok = w.write(photo(size.width(), size.height(), 20261127));
        }
        if (!ok) {
            out << "cannot generate " << c.file << "\n";
            return 1;
        }
    }

    out << QStringLiteral("image_bench: %1 runs each, WebP quality %2; ours: libwebp method %3%4; vips: "
                          "`vips thumbnail` (webpsave defaults, effort 4)\n")
               .arg(runs).arg(quality).arg(method).arg(threaded ? ", thread_level 1" : ", single thread");
    const Measured floor = spawnMeasured(self, {QStringLiteral("true")});
    out << QStringLiteral("(peak RSS includes the measuring helper's floor: `true` reports %1 MB)\n")
               .arg(floor.maxRssKb / 1024.0, 0, 'f', 1);
    out << QStringLiteral("%1 %2 %3 %4 %5 %6\n")
               .arg(QStringLiteral("input"), -24).arg(QStringLiteral("tool"), -5).arg(QStringLiteral("wall ms"), 9)
               .arg(QStringLiteral("peak MB"), 8).arg(QStringLiteral("bytes"), 10).arg(QStringLiteral("SSIM"), 8);
    out.flush();

    int failures = 0;
    for (const Case &c : cases) {
        if (!only.isEmpty() && c.name != only)
            continue;
        QFile f(c.file);
        if (!f.open(QIODevice::ReadOnly))
            return 1;
        const QByteArray fileBytes = f.readAll();
        auto header = readHeader(fileBytes);
        if (!header.ok())
            return 1;
        // Sizes and the reference as displayed: the stored image turned per its EXIF orientation.
        const int orientation = exifOrientation(fileBytes, header->format);
        const bool swaps = orientationSwapsAxes(orientation);
        const QSize target = swaps ? ImagePipeline::targetSize(header->size).transposed()
                                   : ImagePipeline::targetSize(header->size);
        const QString stem = QDir(dir).filePath(c.name);
        const QString reference = stem + QStringLiteral(".reference.png");
        if (!QFileInfo::exists(reference)) {
            // Rotated inputs: the stored image is scaled, then turned exactly (pixels moved,
            // not resampled); ffmpeg's own autorotation would scale after turning.
            const QSize storedTarget = swaps ? target.transposed() : target;
            const QString scaled = orientation == 1 ? reference : stem + QStringLiteral(".reference-stored.png");
            const QString scale = QStringLiteral("scale=%1:%2:flags=lanczos+accurate_rnd+full_chroma_int+full_chroma_inp")
                                      .arg(storedTarget.width()).arg(storedTarget.height());
            if (!runTool(QStringLiteral("ffmpeg"), {"-v", "error", "-y", "-noautorotate", "-i", c.file, "-vf", scale, "-pix_fmt", "rgb24", scaled})
                || (orientation != 1 && !applyOrientation(QImage(scaled), orientation).save(reference))) {
                out << "ffmpeg could not make the reference for " << c.file << "\n";
                return 1;
            }
        }
        const QString oursOut = stem + QStringLiteral(".ours.webp");
        const QString vipsOut = stem + QStringLiteral(".vips.webp");
        const QStringList oursCmd = {self, "--run-pipeline", c.file, oursOut, QString::number(quality),
                                     QString::number(method), threaded ? "1" : "0"};
        // --size force: exactly the node's floor() size (vips alone would round 2666.67 up).
        const QStringList vipsCmd = {"vips", "thumbnail", c.file,
                                     vipsOut + QStringLiteral("[Q=%1,strip]").arg(quality),
                                     QString::number(target.width()), "--height", QString::number(target.height()),
                                     "--size", "force"};
        std::vector<double> oursWall, vipsWall;
        long oursRss = 0, vipsRss = 0;
        for (int r = 0; r < runs; ++r) {  // interleaved, so load changes hit both alike
            const Measured a = spawnMeasured(self, oursCmd);
            const Measured b = spawnMeasured(self, vipsCmd);
            if (!a.ok || !b.ok) {
                out << c.name << ": a run failed (ours " << a.ok << ", vips " << b.ok << ")\n";
                ++failures;
                break;
            }
            oursWall.push_back(a.wallMs);
            vipsWall.push_back(b.wallMs);
            oursRss = std::max(oursRss, a.maxRssKb);
            vipsRss = std::max(vipsRss, b.maxRssKb);
        }
        if (oursWall.empty())
            continue;
        const qint64 oursBytes = QFileInfo(oursOut).size(), vipsBytes = QFileInfo(vipsOut).size();
        const double oursSsim = ssim(oursOut, reference), vipsSsim = ssim(vipsOut, reference);
        const QString label = QStringLiteral("%1 %2x%3→%4x%5").arg(c.name).arg(header->size.width())
                                  .arg(header->size.height()).arg(target.width()).arg(target.height());
        auto row = [&](const QString &tool, double wall, long rss, qint64 bytes, double s) {
            out << QStringLiteral("%1 %2 %3 %4 %5 %6\n")
                       .arg(label, -24).arg(tool, -5).arg(wall, 9, 'f', 0).arg(rss / 1024.0, 8, 'f', 1)
                       .arg(bytes, 10).arg(s, 8, 'f', 4);
        };
        row(QStringLiteral("ours"), median(oursWall), oursRss, oursBytes, oursSsim);
        row(QStringLiteral("vips"), median(vipsWall), vipsRss, vipsBytes, vipsSsim);
        out << QStringLiteral("  ratios ours/vips: wall %1x  peak RSS %2x  bytes %3x  SSIM %4%5\n")
                   .arg(median(oursWall) / median(vipsWall), 0, 'f', 2).arg(double(oursRss) / double(vipsRss), 0, 'f', 2)
                   .arg(double(oursBytes) / double(vipsBytes), 0, 'f', 3).arg(oursSsim - vipsSsim >= 0 ? "+" : "")
                   .arg(oursSsim - vipsSsim, 0, 'f', 5);
        out.flush();
    }
    return failures ? 1 : 0;
}
