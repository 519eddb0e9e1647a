#include "screenshottour.h"

#include "hostpanel.h"
#include "mainwindow.h"
#include "mediaqueuemodel.h"
#include "nodesettingspanel.h"
#include "nodetesterpanel.h"
#include "tiktokpanel.h"
#include "urlfield.h"
#include "videopreview.h"

#include "nodetest/sampleclip.h"
#include "upload/uploadfile.h"

#include <QAction>
#include <QApplication>
#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QLineEdit>
#include <QMediaPlayer>
#include <QPainter>
#include <QVideoWidget>
#include <QPainterPath>
#include <QRadialGradient>
#include <QSettings>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTextStream>
#include <QThread>

namespace {
using State = MediaQueueModel::State;

// Runs the event loop until `done` holds or `ms` pass; says which.
template <typename F>
bool waitFor(F done, int ms)
{
    QDeadlineTimer deadline(ms);
    while (!done()) {
        if (deadline.hasExpired())
            return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
        QThread::msleep(5);
    }
    return true;
}

void settle(int ms)
{
    waitFor([] { return false; }, ms);
}

QString makePhoto(const QString &dir, const QString &name, QColor a, QColor b, QSize size)
{
    QImage img(size, QImage::Format_RGB32);
    QPainter p(&img);
    QLinearGradient sky(0, 0, 0, size.height());
    sky.setColorAt(0, a);
    sky.setColorAt(1, b);
    p.fillRect(img.rect(), sky);
    p.setRenderHint(QPainter::Antialiasing);
    QRadialGradient sun(size.width() * 0.7, size.height() * 0.35, size.height() * 0.18);
    sun.setColorAt(0, QColor(255, 244, 200));
    sun.setColorAt(1, QColor(255, 200, 120, 0));
    p.fillRect(img.rect(), sun);
    QPainterPath hills;
    hills.moveTo(0, size.height() * 0.75);
    hills.cubicTo(size.width() * 0.3, size.height() * 0.55, size.width() * 0.6, size.height() * 0.9, size.width(),
                  size.height() * 0.68);
    hills.lineTo(size.width(), size.height());
    hills.lineTo(0, size.height());
    p.fillPath(hills, QColor(30, 70, 60));
    p.end();
    const QString path = QDir(dir).filePath(name);
    img.save(path, "JPEG", 90);
    return path;
}

} // namespace

int runScreenshotTour(const QString &outputDir)
{
    QTextStream err(stderr);
    QTemporaryDir work;
    if (!work.isValid() || !QDir().mkpath(outputDir)) {
        err << "deso-media: cannot create " << outputDir << Qt::endl;
        return 1;
    }
    QSettings::setDefaultFormat(QSettings::IniFormat);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, work.filePath(QStringLiteral("settings")));
    QStandardPaths::setTestModeEnabled(true);

    MainWindow w;
    w.setSessionFile(work.filePath(QStringLiteral("queue.json")));
    w.queue()->setTusStoreFile(work.filePath(QStringLiteral("tus.json")));
    w.queue()->setTusChunkSize(5 * 1024 * 1024);
    w.testerPanel()->setWorkDir(work.filePath(QStringLiteral("node-test")));
    w.hostPanel()->setPort(0);
    w.hostPanel()->setDataDir(work.filePath(QStringLiteral("host")));
    w.nodeSettings()->setIdentityMode(NodeSettingsPanel::IdentityMode::TestKey);
    w.nodeSettings()->setKeyStorage(NodeSettingsPanel::KeyStorage::Memory);
    w.nodeSettings()->createTestKey(QStringLiteral("screenshot-key"));
    w.resize(1280, 800);
    w.show();
    if (!waitFor([&] { return w.nodeSettings()->hasLoadedTestKey(); }, 5000) || !w.startLocalHost()) {
        err << "deso-media: the tour could not set up its key and host" << Qt::endl;
        return 1;
    }
    w.nodeSettings()->setUseLocalHost(true);

    const QString photo = makePhoto(work.path(), QStringLiteral("sunset-hills.jpg"), QColor(250, 140, 90),
                                    QColor(120, 80, 160), QSize(3000, 2000));
    const QString second = makePhoto(work.path(), QStringLiteral("morning.jpg"), QColor(120, 190, 240),
                                     QColor(240, 230, 200), QSize(1600, 1200));
    // The sample clip padded past one 5 MiB tus chunk, so the upload can be caught mid-way.
    const QString video = QDir(work.path()).filePath(QStringLiteral("city-walk.mp4"));
    if (const deso::Status written = deso::nodetest::writeSampleClip(video, 12 * 1024 * 1024); !written.ok()) {
        err << "deso-media: " << written.error().message << Qt::endl;
        return 1;
    }
    const QString notes = work.filePath(QStringLiteral("notes.txt"));
    if (QFile f(notes); f.open(QIODevice::WriteOnly))
        f.write("not media\n");
    w.addFiles({photo, video, second, notes});
    MediaQueueModel *q = w.queue();

    // The first image goes all the way; the video is paused as soon as bytes move.
    w.queue()->start(q->item(0).id);
    bool paused = false;
    QObject guard;
    QObject::connect(q, &QAbstractItemModel::dataChanged, &guard, [&] {
        const auto &it = q->item(1);
        // Past the first 5 MiB chunk, so the server has confirmed bytes to resume from.
        if (!paused && it.status.state == State::Uploading && it.status.bytesSent > 5767168 && it.status.bytesSent < it.status.bytesTotal) {
            paused = true;
            w.queue()->pause(it.id);
        }
    });
    w.queue()->start(q->item(1).id);
    waitFor([&] { return q->item(0).status.state == State::Done && q->item(1).status.state == State::Paused; }, 20000);

    auto shoot = [&](const QString &name) {
        settle(400);
        const QString path = QDir(outputDir).filePath(name);
        QPixmap shot = w.grab();
        // QVideoWidget draws into its own native window, which grab() cannot see: paint
        // the frame it shows into its place, so the picture matches a real display.
        QVideoWidget *video = w.videoPreview()->videoWidget();
        const QImage frame = w.videoPreview()->currentFrame();
        if (video->isVisible() && !frame.isNull()) {
            QPainter p(&shot);
            const QRect area(video->mapTo(&w, QPoint(0, 0)), video->size());
            p.fillRect(area, Qt::black);
            QRect target(QPoint(0, 0), frame.size().scaled(area.size(), Qt::KeepAspectRatio));
            target.moveCenter(area.center());
            p.setRenderHint(QPainter::SmoothPixmapTransform);
            p.drawImage(target, frame);
        }
        const bool ok = shot.save(path, "PNG");
        err << (ok ? "deso-media: wrote " : "deso-media: could not write ") << path << Qt::endl;
        return ok;
    };
    bool ok = true;
    w.tabs()->setCurrentIndex(0);
    w.selectRow(0);
    waitFor([&] { return false; }, 2500);  // thumbnails and the processed preview
    ok &= shoot(QStringLiteral("01-upload-image.png"));
    w.selectRow(1);
    waitFor([&] { return w.videoPreview()->infoText().contains(QStringLiteral("×")); }, 8000);
    ok &= shoot(QStringLiteral("02-upload-video.png"));

    w.showPanel(w.tiktokPanel());
    w.tiktokPanel()->input()->setText(QStringLiteral("https://vm.tiktok.com/TTPd2Eobq3/"));
    w.tiktokPanel()->resolve(w.tiktokPanel()->input()->text());
    waitFor([&] { return !w.tiktokPanel()->errorText().isEmpty() || !w.tiktokPanel()->fullUrl()->url().isEmpty(); }, 15000);
    ok &= shoot(QStringLiteral("03-tiktok.png"));

    w.showPanel(w.testerPanel());
    w.testerPanel()->runAll();
    waitFor([&] { return !w.testerPanel()->isRunning(); }, 60000);
    w.testerPanel()->tableView()->selectRow(2);
    ok &= shoot(QStringLiteral("04-node-tester.png"));

    w.showPanel(w.hostPanel());
    ok &= shoot(QStringLiteral("05-local-host.png"));
    w.showPanel(w.nodeSettings());
    ok &= shoot(QStringLiteral("06-node-identity.png"));

    // The media-server contract against the window's own host: a clip uploaded as current
    // DeSo apps send it, processed into HLS; its row shows the server's poster, the preview
    // plays the stream viewers get, and the URLs to paste into a post sit below it.
    w.nodeSettings()->setMediaServerChoice(QStringLiteral("local"));
    const QString clip = QDir(work.path()).filePath(QStringLiteral("harbour-clip.mp4"));
    if (const deso::Status written = deso::nodetest::writeSampleClip(clip, 512 * 1024); !written.ok()) {
        err << "deso-media: " << written.error().message << Qt::endl;
        return 1;
    }
    w.addFiles({clip});
    const int clipRow = q->rowCount() - 1;
    q->start(q->item(clipRow).id);
    const bool processed = waitFor([&] {
        const auto &it = q->item(clipRow);
        return it.status.state == State::Failed || (it.status.state == State::Done && !it.poster.isNull());
    }, 60000);
    if (!processed || q->item(clipRow).status.state != State::Done)
        err << "deso-media: the media-server upload did not finish: " << q->item(clipRow).reason() << Qt::endl;
    w.tabs()->setCurrentIndex(0);
    w.selectRow(clipRow);
    w.videoPreview()->player()->play();
    waitFor([&] { return w.videoPreview()->isShowingStream() && !w.videoPreview()->currentFrame().isNull(); }, 15000);
    w.videoPreview()->player()->pause();
    ok &= shoot(QStringLiteral("07-media-server-result.png"));

    w.showPanel(w.testerPanel());
    w.testerPanel()->runAll();
    waitFor([&] { return !w.testerPanel()->isRunning(); }, 90000);
    w.testerPanel()->tableView()->selectRow(6);  // the media server's status until ready
    ok &= shoot(QStringLiteral("08-tester-media-server.png"));

    // Compress-to-fit: with the media server's limit set to 2 MiB, a 3 MiB clip is held with
    // the offer; the copy that fits is made, previewed beside the original, ready to upload.
    w.nodeSettings()->setMediaServerVideoLimit(2 * 1024 * 1024);
    const QString big = QDir(work.path()).filePath(QStringLiteral("beach-day.mp4"));
    if (const deso::Status written = deso::nodetest::writeSampleClip(big, 3 * 1024 * 1024); !written.ok()) {
        err << "deso-media: " << written.error().message << Qt::endl;
        return 1;
    }
    w.addFiles({big});
    const int bigRow = q->rowCount() - 1;
    const QString bigId = q->item(bigRow).id;
    w.tabs()->setCurrentIndex(0);
    w.selectRow(bigRow);
    w.videoPreview()->player()->play();
    waitFor([&] { return !w.videoPreview()->currentFrame().isNull(); }, 15000);
    w.videoPreview()->player()->pause();
    ok &= shoot(QStringLiteral("09-fit-offer.png"));
    q->makeFitCopy(bigId);
    if (!waitFor([&] { return !q->isMakingFitCopy(bigId); }, 60000) || q->item(bigRow).copyPath.isEmpty())
        err << "deso-media: the copy that fits was not made: " << q->item(bigRow).reason() << Qt::endl;
    w.videoPreview()->player()->play();
    waitFor([&] { return w.videoPreview()->isShowingCopy() && !w.videoPreview()->currentFrame().isNull(); }, 15000);
    w.videoPreview()->player()->pause();
    ok &= shoot(QStringLiteral("10-fit-copy-ready.png"));
    q->removeRow(bigRow); // takes its copy out of the cache
    w.nodeSettings()->setMediaServerVideoLimit(deso::upload::kDefaultMediaServerVideoBytes);
    w.nodeSettings()->setMediaServerChoice(QStringLiteral("auto"));
    return ok ? 0 : 1;
}
