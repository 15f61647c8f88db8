#pragma once

#include <QString>

class QSettings;

namespace oxm {

/// The oxm-admin service options as the user edits them (contract §8: the same as oxm-server's
/// command line), remembered between runs with QSettings. Text values exactly as they would be
/// written on the command line; app/ turns them into a ServiceConfig.
struct ServerSettings
{
    QString listen = QStringLiteral("127.0.0.1:8080"); ///< --listen HOST:PORT
    QString database;          ///< --database URL (sqlite:PATH or postgresql://…); empty: the default file
    QString redis;             ///< --redis URL (redis://HOST:PORT[/DB]); empty: active streams in this process
    QString jwtSecretFile;     ///< --jwt-secret-file PATH; empty: $OXM_JWT_SECRET or generated
    int streamTimeoutSeconds = 180; ///< --stream-timeout
    int threads = 2;           ///< --threads
    QString tlsCertificateFile; ///< --tls-cert FILE (PEM); with tlsKeyFile: HTTPS only
    QString tlsKeyFile;        ///< --tls-key FILE (PEM)

    /// Reads the "server/…" keys; missing keys keep the defaults above.
    static ServerSettings load(const QSettings &settings);
    void save(QSettings &settings) const;

    friend bool operator==(const ServerSettings &, const ServerSettings &) = default;
};

} // namespace oxm
