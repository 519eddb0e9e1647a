#pragma once
// The desktop window mode of deso-media.

#include <QStringList>

struct GuiOptions {
    QStringList files;       // files given on the command line go to the queue
    QString screenshotPath;  // when set: render the window to this PNG and exit
};

int runGui(const GuiOptions &options);
