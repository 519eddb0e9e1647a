#pragma once
// The desktop window mode of deso-media.

#include <QStringList>

struct GuiOptions {
    QStringList files;       // files given on the command line go to the queue
    QString screenshotPath;  // when set: render the window to this PNG and exit
    QString tourDir;         // when set: run the screenshot tour into this folder and exit
};

int runGui(const GuiOptions &options);
