#pragma once
// deso-media --screenshot-tour DIR: opens the window with its own host and a session
// test key, queues an image (uploaded), a video paused mid-upload, a second image and a
// refused file, runs the node tester, and writes a PNG of each main view into DIR.
// Settings and data go to a temporary folder, never the user's.

#include <QString>

int runScreenshotTour(const QString &outputDir);
