#pragma once
// Keeps a test's QSettings, QStandardPaths and the app's queue out of the user's
// real ones: test-mode standard paths, and INI settings under `home`.

#include <QCoreApplication>
#include <QSettings>
#include <QStandardPaths>
#include <QString>

namespace testcommon {

inline void isolateAppSettings(const QString &home)
{
    QStandardPaths::setTestModeEnabled(true);
    QSettings::setDefaultFormat(QSettings::IniFormat);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, home);
    QCoreApplication::setOrganizationName(QStringLiteral("deso-media-tests"));
}

} // namespace testcommon
