// The window set up as a creator's would be against its own local host: a test key in
// memory, the host started on a free port, uploads routed to it as the media server.
// Every file the window keeps goes under `dataDir`.
#pragma once

#include "hostpanel.h"
#include "mainwindow.h"
#include "mediaqueuemodel.h"
#include "nodesettingspanel.h"
#include "nodetesterpanel.h"

#include <QDir>
#include <QTest>

namespace uitest {

inline bool startWindowOnOwnHost(MainWindow &win, const QString &dataDir)
{
    const QDir data(dataDir);
    win.setSessionFile(data.filePath(QStringLiteral("queue.json")));
    win.queue()->setTusStoreFile(data.filePath(QStringLiteral("tus.json")));
    win.testerPanel()->setWorkDir(data.filePath(QStringLiteral("node-test")));
    win.hostPanel()->setPort(0);
    win.hostPanel()->setDataDir(data.filePath(QStringLiteral("host")));
    win.nodeSettings()->setIdentityMode(NodeSettingsPanel::IdentityMode::TestKey);
    win.nodeSettings()->setKeyStorage(NodeSettingsPanel::KeyStorage::Memory);
    win.nodeSettings()->createTestKey(QStringLiteral("creator"));
    if (!QTest::qWaitFor([&] { return win.nodeSettings()->hasLoadedTestKey(); }, 5000))
        return false;
    if (!win.startLocalHost())
        return false;
    win.nodeSettings()->setUseLocalHost(true);
    win.nodeSettings()->setMediaServerChoice(QStringLiteral("local"));
    return true;
}

} // namespace uitest
