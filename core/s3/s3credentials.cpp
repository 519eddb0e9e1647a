#include "s3/s3credentials.h"

#include <QDebug>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>

namespace deso::s3 {

namespace {

// One INI file of the AWS CLI: section -> key -> value. Keys are lower-cased; values trimmed.
using IniSections = QHash<QString, QHash<QString, QString>>;

Result<IniSections> readIni(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text))
        return Error(kCredentialsInvalidCode, QStringLiteral("%1 could not be read: %2.").arg(path, file.errorString()));
    IniSections sections;
    QString section;
    while (!file.atEnd()) {
        const QString line = QString::fromUtf8(file.readLine()).trimmed();
        if (line.isEmpty() || line.startsWith(QLatin1Char('#')) || line.startsWith(QLatin1Char(';')))
            continue;
        if (line.startsWith(QLatin1Char('[')) && line.endsWith(QLatin1Char(']'))) {
            section = line.mid(1, line.size() - 2).trimmed();
            sections[section];
            continue;
        }
        const qsizetype eq = line.indexOf(QLatin1Char('='));
        if (eq <= 0 || section.isEmpty())
            continue;  // nested settings (s3 = ...) and stray lines carry nothing we read
        sections[section].insert(line.left(eq).trimmed().toLower(), line.mid(eq + 1).trimmed());
    }
    return sections;
}

QString homeFile(const QProcessEnvironment &env, const char *override, const char *name)
{
    const QString fromEnv = env.value(QLatin1String(override));
    if (!fromEnv.isEmpty())
        return fromEnv;
    const QString home = env.value(QStringLiteral("HOME"), QDir::homePath());
    return home + QStringLiteral("/.aws/") + QLatin1String(name);
}

} // namespace

QDebug operator<<(QDebug debug, const AwsCredentials &credentials)
{
    QDebugStateSaver saver(debug);
    debug.nospace() << "AwsCredentials(accessKeyId=" << credentials.accessKeyId
                    << ", secretAccessKey=" << (credentials.secretAccessKey.isEmpty() ? "<none>" : "<hidden>")
                    << ", sessionToken=" << (credentials.sessionToken.isEmpty() ? "<none>" : "<hidden>") << ')';
    return debug;
}

Result<ResolvedCredentials> resolveCredentials(const CredentialFlags &flags, const QProcessEnvironment &env)
{
    ResolvedCredentials out;
    QString profile = flags.profile;
    if (profile.isEmpty())
        profile = env.value(QStringLiteral("AWS_PROFILE"));
    const bool profileChosen = !profile.isEmpty();
    if (profile.isEmpty())
        profile = QStringLiteral("default");

    const QString credentialsPath = homeFile(env, "AWS_SHARED_CREDENTIALS_FILE", "credentials");
    const QString configPath = homeFile(env, "AWS_CONFIG_FILE", "config");

    // Credentials: flags, then the environment, then the shared credentials file. A key id
    // without its secret is an error rather than a silent fall-through to another source.
    if (!flags.accessKeyId.isEmpty() || !flags.secretAccessKey.isEmpty()) {
        if (flags.accessKeyId.isEmpty() || flags.secretAccessKey.isEmpty())
            return Error(kCredentialsInvalidCode,
                         QStringLiteral("The S3 access key id and secret access key must be given together."));
        out.credentials = {flags.accessKeyId, flags.secretAccessKey, flags.sessionToken};
        out.credentialsSource = QStringLiteral("flags");
    } else if (env.contains(QStringLiteral("AWS_ACCESS_KEY_ID")) || env.contains(QStringLiteral("AWS_SECRET_ACCESS_KEY"))) {
        out.credentials = {env.value(QStringLiteral("AWS_ACCESS_KEY_ID")), env.value(QStringLiteral("AWS_SECRET_ACCESS_KEY")),
                           env.value(QStringLiteral("AWS_SESSION_TOKEN"))};
        if (!out.credentials.isComplete())
            return Error(kCredentialsInvalidCode,
                         QStringLiteral("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must both be set (only one is)."));
        out.credentialsSource = QStringLiteral("environment");
    } else if (QFileInfo::exists(credentialsPath)) {
        Result<IniSections> ini = readIni(credentialsPath);
        if (!ini)
            return ini.error();
        const auto section = ini->constFind(profile);
        if (section == ini->constEnd()) {
            if (profileChosen)
                return Error(kCredentialsInvalidCode,
                             QStringLiteral("The AWS profile '%1' is not in %2.").arg(profile, credentialsPath));
        } else {
            out.credentials = {section->value(QStringLiteral("aws_access_key_id")),
                               section->value(QStringLiteral("aws_secret_access_key")),
                               section->value(QStringLiteral("aws_session_token"))};
            if (!out.credentials.isComplete())
                return Error(kCredentialsInvalidCode,
                             QStringLiteral("The profile '%1' in %2 lacks aws_access_key_id or aws_secret_access_key.")
                                 .arg(profile, credentialsPath));
            out.credentialsSource = QStringLiteral("%1 [%2]").arg(credentialsPath, profile);
        }
    }
    if (!out.credentials.isComplete())
        return Error(kCredentialsMissingCode,
                     QStringLiteral("No S3 credentials: give the access key flags, set AWS_ACCESS_KEY_ID and "
                                    "AWS_SECRET_ACCESS_KEY, or add a [%1] profile to %2.")
                         .arg(profile, credentialsPath));

    // Region: flag, environment, the profile in the config file ("[profile NAME]", or
    // "[default]"), else us-east-1 (what S3-compatible servers expect when they do not care).
    if (!flags.region.isEmpty()) {
        out.region = flags.region;
        out.regionSource = QStringLiteral("flags");
    } else if (!env.value(QStringLiteral("AWS_REGION")).isEmpty()) {
        out.region = env.value(QStringLiteral("AWS_REGION"));
        out.regionSource = QStringLiteral("AWS_REGION");
    } else if (!env.value(QStringLiteral("AWS_DEFAULT_REGION")).isEmpty()) {
        out.region = env.value(QStringLiteral("AWS_DEFAULT_REGION"));
        out.regionSource = QStringLiteral("AWS_DEFAULT_REGION");
    } else if (QFileInfo::exists(configPath)) {
        Result<IniSections> ini = readIni(configPath);
        if (!ini)
            return ini.error();
        const QString section = profile == QLatin1String("default") ? profile : QStringLiteral("profile ") + profile;
        const QString region = ini->value(section).value(QStringLiteral("region"));
        if (!region.isEmpty()) {
            out.region = region;
            out.regionSource = QStringLiteral("%1 [%2]").arg(configPath, section);
        }
    }
    if (out.region.isEmpty()) {
        out.region = QStringLiteral("us-east-1");
        out.regionSource = QStringLiteral("default");
    }
    return out;
}

} // namespace deso::s3
