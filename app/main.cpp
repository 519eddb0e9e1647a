// deso-media: parses the command line and starts the right mode.
#include "common/version.h"
#include "guimode.h"
#include "testkeys.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QTextStream>

#include <memory>

namespace {

// Modes that need no display: decided before the application object exists,
// because QApplication aborts without a display while QCoreApplication does not.
bool needsGui(int argc, char **argv)
{
    for (int i = 1; i < argc; ++i) {
        const QByteArray arg(argv[i]);
        if (arg == "--version" || arg == "-v" || arg == "--help" || arg == "-h" || arg == "--help-all"
            || arg == "--serve")
            return false;
    }
    return !isTestKeyCommand(argc, argv);
}

} // namespace

int main(int argc, char **argv)
{
    // Qt 6.4 defaults to GStreamer, which cannot decode H.264 with Debian's base plugins;
    // the FFmpeg backend can. The backend is chosen when Qt Multimedia loads, so this
    // must happen before the application object exists; a user's own choice wins.
    if (qEnvironmentVariableIsEmpty("QT_MEDIA_BACKEND"))
        qputenv("QT_MEDIA_BACKEND", "ffmpeg");
    std::unique_ptr<QCoreApplication> app;
    if (needsGui(argc, argv))
        app = std::make_unique<QApplication>(argc, argv);
    else
        app = std::make_unique<QCoreApplication>(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral(DESO_MEDIA_APP_NAME));
    QCoreApplication::setApplicationVersion(QStringLiteral(DESO_MEDIA_VERSION));
    QCoreApplication::setOrganizationName(QStringLiteral("DeSo Media Companion"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "DeSo Media Companion: prepare, upload and check media for DeSo nodes "
        "(upload-image, upload-video with tus, get-video-status, get-full-tiktok-url)."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption serveOption(QStringLiteral("serve"),
        QStringLiteral("Run the local endpoint host headless (no window)."));
    const QCommandLineOption screenshotOption(QStringLiteral("screenshot"),
        QStringLiteral("Render the main window to a PNG <file> and exit."), QStringLiteral("file"));
    parser.addOption(serveOption);
    parser.addOption(screenshotOption);
    addTestKeyOptions(parser);
    parser.addPositionalArgument(QStringLiteral("files"),
        QStringLiteral("Media files to add to the queue."), QStringLiteral("[files...]"));
    parser.process(*app);

    if (parser.isSet(serveOption)) {
        QTextStream(stderr) << "deso-media --serve: the local endpoint host is not part of this "
                               "build yet, so nothing was started.\n";
        return 3;
    }

    if (isTestKeyCommand(argc, argv))
        return runTestKeyCommands(parser);

    GuiOptions gui;
    gui.files = parser.positionalArguments();
    gui.screenshotPath = parser.value(screenshotOption);
    return runGui(gui);
}
