#pragma once
// Runs a program to completion and keeps what it printed. The wait runs this
// process's event loop, so a server living inside the test keeps answering the child.

#include "eventwait.h"

#include <QDebug>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>

namespace testcommon {

struct ProcessRun {
    int exitCode = -1; // -1: did not start, crashed, or was killed after the timeout
    bool timedOut = false;
    QString out;
    QString err;
    QJsonObject json() const { return QJsonDocument::fromJson(out.toUtf8()).object(); }
};

inline ProcessRun runProcess(const QString &program, const QStringList &args,
                             const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment(),
                             int timeoutMs = 30000)
{
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(program, args);
    ProcessRun r;
    if (!p.waitForStarted(timeoutMs)) {
        r.err = p.errorString();
        return r;
    }
    if (!waitUntil([&] { return p.state() == QProcess::NotRunning; }, timeoutMs)) {
        r.timedOut = true;
        p.kill();
        p.waitForFinished();
        qWarning() << program << args << "did not finish within" << timeoutMs << "ms";
    }
    r.exitCode = !r.timedOut && p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

} // namespace testcommon
