#pragma once
// The test-key commands of deso-media: create, list and delete named test keys and
// sign JWTs with them, without a window.

class QCommandLineParser;

void addTestKeyOptions(QCommandLineParser &parser);
bool isTestKeyCommand(int argc, char **argv);  // decided before the application object exists
// Runs the test-key commands given on the command line; returns the exit code.
int runTestKeyCommands(const QCommandLineParser &parser);
