// deso-media: parses the command line and starts the right mode.
#include "clientcommands.h"
#include "common/version.h"
#include "guimode.h"
#include "testkeys.h"
#include "servemode.h"

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
    if (isClientCommand(argc, argv))
        return false;
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

    if (isClientCommand(argc, argv))
        return runClientCommand(QCoreApplication::arguments());

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "DeSo Media Companion: prepare, upload and check media for DeSo nodes "
        "(upload-image, upload-video with tus, get-video-status, get-full-tiktok-url).\n"
        "Node client subcommands (no window): upload-image, upload-video, video-status, "
        "video-dimensions, tiktok; see deso-media <subcommand> --help."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption serveOption(QStringLiteral("serve"),
        QStringLiteral("Run the local endpoint host headless (no window)."));
    const QCommandLineOption screenshotOption(QStringLiteral("screenshot"),
        QStringLiteral("Render the main window to a PNG <file> and exit."), QStringLiteral("file"));
    const QCommandLineOption tourOption(QStringLiteral("screenshot-tour"),
        QStringLiteral("Open the window with its own host, queue an image and a video mid-upload, "
                       "run the node tester, and write a PNG of each main view into <dir>; then exit."),
        QStringLiteral("dir"));
    parser.addOption(serveOption);
    parser.addOption(screenshotOption);
    parser.addOption(tourOption);
    addTestKeyOptions(parser);
    addServeOptions(parser);
    parser.addPositionalArgument(QStringLiteral("files"),
        QStringLiteral("Media files to add to the queue."), QStringLiteral("[files...]"));
    parser.process(*app);

    if (parser.isSet(serveOption))
        return runServeCommand(parser);

    if (isTestKeyCommand(argc, argv))
        return runTestKeyCommands(parser);

    GuiOptions gui;
    gui.files = parser.positionalArguments();
    gui.screenshotPath = parser.value(screenshotOption);
    gui.tourDir = parser.value(tourOption);
    return runGui(gui);
}
