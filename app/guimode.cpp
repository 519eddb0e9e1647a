#include "guimode.h"

#include "mainwindow.h"

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
    MainWindow window;
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
