#pragma once
// Small real videos made in the test, with FFmpeg's libraries (libx264 ultrafast,
// AAC): a moving gradient that fades in from black, and a sine tone.

#include "common/result.h"

#include <QString>

struct SyntheticClip {
    int width = 640;
    int height = 360;
    double seconds = 3.0;
    int fps = 25;
    bool video = true;
    bool audio = true;
    double keyframeSeconds = 5.0; // the source's GOP: not at the engine's segment boundaries by default
    double fadeInSeconds = 0.5; // black first frames: the poster must not be one of them
};

deso::Status writeSyntheticClip(const QString &path, const SyntheticClip &clip);

// A `width`×`height` clip of `seconds` written to `path`, and its bytes (what the tests
// upload): empty when it could not be made or read back.
QByteArray syntheticClipBytes(const QString &path, int width, int height, double seconds);
