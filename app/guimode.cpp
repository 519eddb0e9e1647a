#include "guimode.h"

#include "mainwindow.h"
#include "nodesettingspanel.h"
#include "screenshottour.h"

#include <QSettings>

#include <QApplication>
#include <QIcon>
#include <QTextStream>
#include <QTimer>

int runGui(const GuiOptions &options)
{
    // The desktop file name lets Wayland compositors match the window to
    // deso-media.desktop; the theme icon wins over the bundled copy when installed.
    QGuiApplication::setDesktopFileName(QStringLiteral("deso-media"));
    QApplication::setWindowIcon(
        QIcon::fromTheme(QStringLiteral("deso-media"), QIcon(QStringLiteral(":/icons/deso-media.svg"))));
    if (!options.tourDir.isEmpty())
        return runScreenshotTour(options.tourDir);

    MainWindow window;
    // A plain screenshot shows the window as a new user sees it, without the host or
    // the last session; a normal start restores the queue and starts the app's own host.
    if (options.screenshotPath.isEmpty()) {
        window.restoreSession();
        if (QSettings().value(QStringLiteral("host/autostart"), true).toBool())
            window.startLocalHost();
        window.nodeSettings()->ensureTestKey();
    }
    window.addFiles(options.files);
    window.show();

    if (!options.screenshotPath.isEmpty()) {
        // Let the event loop lay out and paint once, then grab and quit.
        QTimer::singleShot(300, &window, [&window, path = options.screenshotPath] {
            const bool saved = window.grab().save(path, "PNG");
            QTextStream err(stderr);
            if (saved)
                err << "deso-media: wrote a screenshot of the main window to " << path << Qt::endl;
            else
                err << "deso-media: could not write the screenshot to " << path << Qt::endl;
            QCoreApplication::exit(saved ? 0 : 1);
        });
    }
    return QApplication::exec();
}
