// The deso-media executable's command line, run as a real process.
#include "common/version.h"
#include "processrun.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QImage>
#include <QtTest>

class TestCli : public QObject {
    Q_OBJECT

    using Run = testcommon::ProcessRun;

    static Run run(const QStringList &args, int timeoutMs = 30000)
    {
        return testcommon::runProcess(QStringLiteral(DESO_MEDIA_BIN), args, QProcessEnvironment::systemEnvironment(),
                                      timeoutMs);
    }

private slots:
    void versionPrintsTheVersion()
    {
        const Run r = run({QStringLiteral("--version")});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out.trimmed(), QStringLiteral("deso-media " DESO_MEDIA_VERSION));
    }

    void helpListsTheOptions()
    {
        const Run r = run({QStringLiteral("--help")});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains(QStringLiteral("--serve")), qPrintable(r.out));
        QVERIFY2(r.out.contains(QStringLiteral("--version")), qPrintable(r.out));
    }

    void unknownOptionIsAUsageError()
    {
        const Run r = run({QStringLiteral("--no-such-option")});
        QVERIFY(r.exitCode != 0);
        QVERIFY2(r.err.contains(QStringLiteral("no-such-option")), qPrintable(r.err));
    }

    void screenshotRendersTheWindowWithQueuedFiles()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QImage img(64, 48, QImage::Format_RGB32);
        img.fill(Qt::darkCyan);
        const QString imagePath = dir.filePath(QStringLiteral("photo.png"));
        QVERIFY(img.save(imagePath));
        const QString shot = dir.filePath(QStringLiteral("window.png"));
        const Run r = run({QStringLiteral("--screenshot"), shot, imagePath});
        QCOMPARE(r.exitCode, 0);
        QImage grabbed(shot);
        QVERIFY2(!grabbed.isNull(), qPrintable(r.err));
        QVERIFY(grabbed.width() >= 400 && grabbed.height() >= 300);
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
