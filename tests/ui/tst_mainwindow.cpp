// The main window: it opens, and dropped files land in the queue.
#include "testsettings.h"
#include "dropzone.h"
#include "mainwindow.h"
#include "mediaqueuemodel.h"
#include "nodetest/sampleclip.h"

#include <QDropEvent>
#include <QTabWidget>
#include <QImage>
#include <QListView>
#include <QMimeData>
#include <QTemporaryDir>
#include <QSignalSpy>
#include <QtTest>
#include <QClipboard>
#include "noticebar.h"
#include "imagepreview.h"
#include "videopreview.h"
#include <QSettings>
#include <QStandardPaths>

class TestMainWindow : public QObject {
    Q_OBJECT

    static void dropUrls(QWidget *target, const QList<QUrl> &urls)
    {
        QMimeData mime;
        mime.setUrls(urls);
        const QPointF pos(target->width() / 2.0, target->height() / 2.0);
        QDragEnterEvent enter(pos.toPoint(), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(target, &enter);
        QVERIFY(enter.isAccepted());
        QDropEvent drop(pos, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(target, &drop);
        QVERIFY(drop.isAccepted());
    }

    QTemporaryDir m_home;

private slots:
    void initTestCase()
    {
        // Keep the user's real settings and queue out of the tests.
        testcommon::isolateAppSettings(m_home.path());
    }

    void windowOpens()
    {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(w.dropZone()->acceptDrops());
        QCOMPARE(w.queueView()->model(), w.queue());
        QCOMPARE(w.queue()->rowCount(), 0);
    }

    void droppedImageAppearsInTheQueueWithTypeAndSize()
    {
        QTemporaryDir dir;
        QImage img(120, 80, QImage::Format_RGB32);
        img.fill(Qt::red);
        const QString path = dir.filePath(QStringLiteral("red.jpg"));
        QVERIFY(img.save(path, "JPEG"));

        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        dropUrls(w.dropZone(), {QUrl::fromLocalFile(path)});

        QCOMPARE(w.queue()->rowCount(), 1);
        const auto &item = w.queue()->item(0);
        QCOMPARE(item.name, QStringLiteral("red.jpg"));
        QCOMPARE(item.mimeType, QStringLiteral("image/jpeg"));
        QCOMPARE(item.size, QFileInfo(path).size());
        QCOMPARE(item.kind, MediaQueueModel::Kind::Image);
        QCOMPARE(item.status.state, MediaQueueModel::State::Waiting);
        const QString shown = w.queueView()->model()->index(0, 0).data().toString();
        QVERIFY2(shown.contains(QStringLiteral("red.jpg")) && shown.contains(QStringLiteral("image/jpeg")),
                 qPrintable(shown));
    }

    void filesDroppedOnTheWindowAlsoLandInTheQueue()
    {
        QTemporaryDir dir;
        QImage img(20, 10, QImage::Format_RGB32);
        img.fill(Qt::gray);
        const QString path = dir.filePath(QStringLiteral("grey.png"));
        QVERIFY(img.save(path));
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.tabs()->setCurrentIndex(2);
        dropUrls(&w, {QUrl::fromLocalFile(path)});
        QCOMPARE(w.queue()->rowCount(), 1);
        QCOMPARE(w.tabs()->currentIndex(), 0);  // back to the queue, where the file went
    }

    // A dropped folder tree (with a file beside it) adds the images and the video found
    // inside, in the folder's order, says in one sentence which files were skipped, and
    // survives a link that loops; the walk runs off the UI thread.
    void droppedFolderAddsItsMediaAndSaysWhatWasSkipped()
    {
        QTemporaryDir dir;
        const QDir root(dir.filePath(QStringLiteral("holiday")));
        QVERIFY(root.mkpath(QStringLiteral("day 2/raw")));
        QImage img(32, 24, QImage::Format_RGB32);
        img.fill(Qt::darkYellow);
        QVERIFY(img.save(root.filePath(QStringLiteral("beach.jpg")), "JPEG"));
        QVERIFY(img.save(root.filePath(QStringLiteral("day 2/sunset.png")), "PNG"));
        QVERIFY(img.save(root.filePath(QStringLiteral("day 2/raw/boat.png")), "PNG"));
        QVERIFY(deso::nodetest::writeSampleClip(root.filePath(QStringLiteral("day 2/waves.mp4"))).ok());
        for (const char *junk : {"itinerary.txt", "day 2/notes.md", "day 2/raw/thumbs.db"}) {
            QFile f(root.filePath(QString::fromLatin1(junk)));
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("not an image, not a video\n");
        }
        QVERIFY(QFile::link(root.path(), root.filePath(QStringLiteral("day 2/raw/back to the start"))));
        const QString beside = dir.filePath(QStringLiteral("cover.png"));
        QVERIFY(img.save(beside, "PNG"));

        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QSignalSpy added(w.queue(), &MediaQueueModel::filesAdded);
        dropUrls(w.dropZone(), {QUrl::fromLocalFile(beside), QUrl::fromLocalFile(root.path())});
        QTRY_VERIFY_WITH_TIMEOUT(!added.isEmpty(), 20000);
        QVERIFY(!w.queue()->isCollecting());

        QStringList rows;
        for (int row = 0; row < w.queue()->rowCount(); ++row) {
            const auto &item = w.queue()->item(row);
            rows << item.name;
            QCOMPARE(item.status.state, MediaQueueModel::State::Waiting);
        }
        QCOMPARE(rows, QStringList({QStringLiteral("cover.png"), QStringLiteral("beach.jpg"), QStringLiteral("sunset.png"),
                                    QStringLiteral("waves.mp4"), QStringLiteral("boat.png")}));
        QCOMPARE(w.queue()->item(3).kind, MediaQueueModel::Kind::Video);
        QCOMPARE(w.queue()->item(3).mimeType, QStringLiteral("video/mp4"));
        QCOMPARE(w.notice()->message(),
                 QStringLiteral("Skipped 3 files that are not images or videos: itinerary.txt, notes.md, thumbs.db."));
        QCOMPARE(w.queueView()->currentIndex().row(), 0);
    }

    void typeComesFromContentNotName()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("notes.jpg"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("this is plain text, not a photo\n");
        f.close();

        MainWindow w;
        dropUrls(w.dropZone(), {QUrl::fromLocalFile(path)});
        QCOMPARE(w.queue()->rowCount(), 1);
        const auto &item = w.queue()->item(0);
        QCOMPARE(item.status.state, MediaQueueModel::State::Refused);
        QVERIFY2(item.reason().contains(QStringLiteral("text/plain")), qPrintable(item.reason()));
    }

    void manyFilesAtOnceAllAppear()
    {
        QTemporaryDir dir;
        QList<QUrl> urls;
        for (int i = 0; i < 5; ++i) {
            QImage img(10 + i, 10, QImage::Format_RGB32);
            img.fill(Qt::blue);
            const QString path = dir.filePath(QStringLiteral("p%1.png").arg(i));
            QVERIFY(img.save(path));
            urls << QUrl::fromLocalFile(path);
        }
        MainWindow w;
        dropUrls(w.dropZone(), urls);
        QCOMPARE(w.queue()->rowCount(), 5);
        for (int i = 0; i < 5; ++i)
            QCOMPARE(w.queue()->item(i).mimeType, QStringLiteral("image/png"));
    }

    void tooLargeImageIsRefusedWithTheLimit()
    {
        QTemporaryDir dir;
        QImage img(8, 8, QImage::Format_RGB32);
        img.fill(Qt::green);
        const QString path = dir.filePath(QStringLiteral("huge.png"));
        QVERIFY(img.save(path));
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadWrite));
        QVERIFY(f.resize(64 * 1024 * 1024 + 1));  // sparse: the type still reads as PNG
        f.close();
        MainWindow w;
        w.addFiles({path});
        QCOMPARE(w.queue()->item(0).status.state, MediaQueueModel::State::Refused);
        QVERIFY2(w.queue()->item(0).reason().contains(QStringLiteral("10 MB")), qPrintable(w.queue()->item(0).reason()));
        QVERIFY2(w.notice()->message().contains(QStringLiteral("huge.png")), qPrintable(w.notice()->message()));
    }

    void imageOverTheNodeLimitWaitsForASmallerCopy()
    {
        QTemporaryDir dir;
        QImage img(8, 8, QImage::Format_RGB32);
        img.fill(Qt::green);
        const QString path = dir.filePath(QStringLiteral("big.png"));
        QVERIFY(img.save(path));
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadWrite));
        QVERIFY(f.resize(10'000'001));
        f.close();
        MediaQueueModel model;
        model.addFiles({path});
        QCOMPARE(model.item(0).status.state, MediaQueueModel::State::Waiting);
        QVERIFY2(model.index(0).data(MediaQueueModel::ProgressTextRole).toString().contains(QStringLiteral("smaller copy")),
                 qPrintable(model.index(0).data(MediaQueueModel::ProgressTextRole).toString()));
    }

    void thumbnailAndDimensionsArriveFromAWorkerThread()
    {
        QTemporaryDir dir;
        QImage img(3000, 2000, QImage::Format_RGB32);
        img.fill(Qt::darkMagenta);
        const QString path = dir.filePath(QStringLiteral("big.jpg"));
        QVERIFY(img.save(path, "JPEG"));
        MainWindow w;
        w.addFiles({path});
        QVERIFY(w.queue()->item(0).thumbnail.isNull());  // not decoded on the UI thread
        QTRY_VERIFY(!w.queue()->item(0).thumbnail.isNull());
        QCOMPARE(w.queue()->item(0).dimensions, QSize(3000, 2000));
        QVERIFY(std::max(w.queue()->item(0).thumbnail.width(), w.queue()->item(0).thumbnail.height()) <= 128);
        QVERIFY2(w.queue()->index(0).data(MediaQueueModel::DetailRole).toString().contains(QStringLiteral("3000×2000")),
                 qPrintable(w.queue()->index(0).data(MediaQueueModel::DetailRole).toString()));
        // The first row is selected and previewed with its facts.
        QTRY_VERIFY2(w.imagePreview()->originalText().contains(QStringLiteral("3000 × 2000 px")),
                     qPrintable(w.imagePreview()->originalText()));
        QVERIFY(w.imagePreview()->originalText().contains(QStringLiteral("JPEG")));
    }

    void undecodableImageIsRefusedWithTheReason()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("broken.png"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray::fromHex("89504e470d0a1a0a") + QByteArray(200, 'x'));
        f.close();
        MainWindow w;
        w.addFiles({path});
        QCOMPARE(w.queue()->item(0).mimeType, QStringLiteral("image/png"));
        QTRY_COMPARE(w.queue()->item(0).status.state, MediaQueueModel::State::Refused);
        QVERIFY2(w.queue()->item(0).reason().contains(QStringLiteral("cannot be decoded")),
                 qPrintable(w.queue()->item(0).reason()));
    }

    void pastedImageIsSavedAndQueued()
    {
        QImage img(50, 40, QImage::Format_ARGB32);
        img.fill(Qt::yellow);
        QGuiApplication::clipboard()->setImage(img);
        MainWindow w;
        w.pasteFromClipboard();
        QTRY_COMPARE(w.queue()->rowCount(), 1);
        const auto &item = w.queue()->item(0);
        QCOMPARE(item.kind, MediaQueueModel::Kind::Image);
        QCOMPARE(item.mimeType, QStringLiteral("image/png"));
        QCOMPARE(QImage(item.path).size(), QSize(50, 40));
        QFile::remove(item.path);
    }

    void pasteWithNothingUsefulSaysSo()
    {
        QGuiApplication::clipboard()->setText(QStringLiteral("just words"));
        MainWindow w;
        w.pasteFromClipboard();
        QCOMPARE(w.queue()->rowCount(), 0);
        QVERIFY(!w.notice()->message().isEmpty());
    }

    void progressShowsBytesSpeedAndEta()
    {
        QTemporaryDir dir;
        const QString path = QStringLiteral(DESO_SOURCE_DIR "/core/nodetest/sample.mp4");
        MediaQueueModel model;
        model.addFiles({path});
        const QString id = model.item(0).id;
        model.setState(id, MediaQueueModel::State::Uploading);
        model.setProgress(id, 0, 1000000);
        QTest::qWait(300);  // the speed estimate needs two samples at least 250 ms apart
        model.setProgress(id, 300000, 1000000);
        const QString text = model.index(0).data(MediaQueueModel::ProgressTextRole).toString();
        QVERIFY2(text.contains(QStringLiteral("of 976.6 kB")) || text.contains(QStringLiteral("of 1000.0 kB")) ||
                     text.contains(QStringLiteral(" of ")),
                 qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("/s")) && text.contains(QStringLiteral("left")), qPrintable(text));
        QCOMPARE(model.index(0).data(MediaQueueModel::ProgressRole).toInt(), 300);
        QVERIFY(model.index(0).data(MediaQueueModel::EtaRole).toInt() > 0);
        QVERIFY2(model.totalsText().contains(QStringLiteral("1 active")), qPrintable(model.totalsText()));
    }

    void queueIsRestoredAfterARestartWithResumableUploadsMarked()
    {
        QTemporaryDir dir;
        QImage img(30, 20, QImage::Format_RGB32);
        img.fill(Qt::cyan);
        const QString imagePath = dir.filePath(QStringLiteral("a.png"));
        QVERIFY(img.save(imagePath));
        const QString videoPath = QStringLiteral(DESO_SOURCE_DIR "/core/nodetest/sample.mp4");
        const QString session = dir.filePath(QStringLiteral("queue.json"));
        {
            MainWindow w;
            w.setSessionFile(session);
            w.addFiles({imagePath, videoPath});
            const QString vid = w.queue()->item(1).id;
            w.queue()->setState(vid, MediaQueueModel::State::Uploading);
            w.queue()->setVideoUpload(vid, QStringLiteral("http://127.0.0.1:1/tus/abc"), QStringLiteral("0123456789abcdef0123456789abcdef"));
            w.queue()->setProgress(vid, 5000, w.queue()->item(1).size);
            QVERIFY(w.saveSession());
        }
        MainWindow w2;
        w2.setSessionFile(session);
        QCOMPARE(w2.restoreSession(), 2);
        QCOMPARE(w2.queue()->item(0).status.state, MediaQueueModel::State::Waiting);
        const auto &video = w2.queue()->item(1);
        QCOMPARE(video.status.state, MediaQueueModel::State::Paused);
        QVERIFY(video.resumable);
        QCOMPARE(video.status.uploadUrl, QStringLiteral("http://127.0.0.1:1/tus/abc"));
        QCOMPARE(video.status.bytesSent, qint64(5000));
        QVERIFY2(w2.notice()->message().contains(QStringLiteral("resume")), qPrintable(w2.notice()->message()));
    }

    void videoPreviewShowsDurationAndResolution()
    {
        MainWindow w;
        w.show();
        w.addFiles({QStringLiteral(DESO_SOURCE_DIR "/core/nodetest/sample.mp4")});
        w.selectRow(0);
        QTRY_VERIFY_WITH_TIMEOUT(w.videoPreview()->infoText().contains(QStringLiteral("320 × 180")), 15000);
        QVERIFY2(w.videoPreview()->infoText().contains(QStringLiteral("0:02")), qPrintable(w.videoPreview()->infoText()));
        QCOMPARE(w.queue()->item(0).dimensions, QSize(320, 180));
    }

    void windowGeometryIsRemembered()
    {
        {
            MainWindow w;
            w.resize(1000, 700);
            w.show();
            QVERIFY(QTest::qWaitForWindowExposed(&w));
            w.close();
        }
        MainWindow w2;
        QCOMPARE(w2.size(), QSize(1000, 700));
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
