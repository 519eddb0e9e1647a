#pragma once
// Where the S3 access key comes from: command-line flags, else the standard AWS variables
// (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN), else the shared
// credentials file (~/.aws/credentials or AWS_SHARED_CREDENTIALS_FILE, profile AWS_PROFILE
// or "default"). The region: flag, else AWS_REGION / AWS_DEFAULT_REGION, else the profile's
// region in ~/.aws/config (AWS_CONFIG_FILE), else us-east-1.
//
// The secret never appears in logs, error sentences, QDebug output or saved settings:
// nothing here formats it, and QDebug prints "<hidden>" in its place.

#include "common/result.h"

#include <QProcessEnvironment>
#include <QString>

class QDebug;

namespace deso::s3 {

struct AwsCredentials {
    QString accessKeyId;
    QString secretAccessKey;  // never log, never save, never put in an Error
    QString sessionToken;     // optional (temporary credentials); as secret as the key

    bool isComplete() const { return !accessKeyId.isEmpty() && !secretAccessKey.isEmpty(); }
};

// Prints the key id and "<hidden>" for the secret and the token.
QDebug operator<<(QDebug debug, const AwsCredentials &credentials);

// What the command line gave; empty fields are looked up elsewhere.
struct CredentialFlags {
    QString accessKeyId;
    QString secretAccessKey;
    QString sessionToken;
    QString region;
    QString profile;          // overrides AWS_PROFILE
};

struct ResolvedCredentials {
    AwsCredentials credentials;
    QString region;
    QString credentialsSource;  // "flags", "environment", "/home/me/.aws/credentials [default]"
    QString regionSource;       // "flags", "AWS_REGION", "/home/me/.aws/config [default]", "default"
};

// Machine codes.
inline constexpr char kCredentialsMissingCode[] = "s3.credentials_missing";
inline constexpr char kCredentialsInvalidCode[] = "s3.credentials_invalid";

// Resolves as described above. env supplies the variables and HOME (tests pass their own).
// Errors: s3.credentials_missing (a sentence naming every place looked at),
// s3.credentials_invalid (a key id without a secret, a profile that does not exist, an
// unreadable file).
Result<ResolvedCredentials> resolveCredentials(const CredentialFlags &flags,
                                               const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment());

} // namespace deso::s3
