#pragma once

#include "core/serviceconfig.h"

#include <QCommandLineParser>
#include <QStringList>

namespace oxm {

/// The command line of contract §8, shared by oxm-server and oxm-admin:
/// `--listen HOST:PORT`, `--database URL`, `--redis URL` (redis://HOST[:PORT][/DB]), `--jwt-secret-file PATH` (else OXM_JWT_SECRET, else a
/// secret generated once beside the database), `--stream-timeout SECONDS`, plus `--threads N`
/// and `--trusted-proxy ADDR` (repeatable), and the front door's limits: `--max-body-bytes N`,
/// `--idle-timeout SECONDS`, `--header-timeout SECONDS`, `--max-connections N`; HTTPS with
/// `--tls-cert FILE --tls-key FILE` (both or neither).
///
/// Every option can also come from the environment, `OXM_<OPTION>` (e.g. `OXM_LISTEN`,
/// `OXM_STREAM_TIMEOUT`, `OXM_TRUSTED_PROXY=a,b`), and from an INI file (`--config FILE`, else
/// `$OXM_CONFIG`, else the default file if one is set and exists; keys are the long option names,
/// e.g. `listen = 0.0.0.0:8080`; unknown keys are refused). Precedence: command line >
/// environment > file > defaults (issue 7; docs/configuration.md). `OXM_JWT_SECRET` is the
/// secret itself (contract §8) and wins over a `jwt-secret-file` from the environment or file.
class ServerOptions
{
public:
    /// Adds the options to `parser`.
    void addTo(QCommandLineParser &parser);
    /// Fills a ServiceConfig from `parser` (already processed) and the environment. Throws
    /// std::invalid_argument with a message for the user on bad values, an unreadable or
    /// world-readable secret file, or an unsupported database URL.
    ServiceConfig toConfig(const QCommandLineParser &parser) const;

    /// The configuration file read when neither --config nor $OXM_CONFIG names one, if it
    /// exists (oxm-server: /etc/oxm/oxm.conf).
    void setDefaultConfigFile(const QString &path) { m_defaultConfigFile = path; }
    /// "OXM_STREAM_TIMEOUT" for --stream-timeout.
    static QString environmentName(const QCommandLineOption &option);

    /// The default database: oxm.sqlite in the user's data directory.
    static QString defaultDatabasePath();
    /// Parses "HOST:PORT" ("[::1]:8080" for IPv6). Throws std::invalid_argument.
    static void parseListen(const QString &text, QHostAddress &address, quint16 &port);
    /// Parses "sqlite:PATH" (or a plain path). Throws std::invalid_argument for other schemes
    /// (toConfig() takes postgresql:// URLs into ServiceConfig::databaseUrl instead).
    static QString parseDatabaseUrl(const QString &url);
    /// Reads or creates the HS256 secret (see class doc). Throws std::invalid_argument.
    static QByteArray loadSecret(const QString &secretFile, const QString &databasePath);
    /// As above; with a PostgreSQL `databaseUrl` (and neither a secret file nor OXM_JWT_SECRET)
    /// the generated secret is kept in that database, shared by every instance
    /// (PostgresStore::sharedJwtSecret). Throws std::invalid_argument.
    static QByteArray loadSecret(const QString &secretFile, const QString &databasePath, const QString &databaseUrl);

private:
    QList<const QCommandLineOption *> fileOptions() const;

    QString m_defaultConfigFile;
    QCommandLineOption m_config{QStringLiteral("config"),
                                QStringLiteral("INI file of settings (keys: the long option names); the command line and OXM_* environment variables override it."),
                                QStringLiteral("FILE")};
    QCommandLineOption m_listen{QStringLiteral("listen"),
                                QStringLiteral("Address and port to serve on (default 127.0.0.1:8080)."),
                                QStringLiteral("HOST:PORT")};
    QCommandLineOption m_database{QStringLiteral("database"),
                                  QStringLiteral("Database URL: sqlite:PATH (default: oxm.sqlite in the user's data directory) or postgresql://user:password@host:port/database."),
                                  QStringLiteral("URL")};
    QCommandLineOption m_redis{QStringLiteral("redis"),
                               QStringLiteral("Keep active streams in Redis, shared by several instances: redis://HOST[:PORT][/DB] (default: in this process)."),
                               QStringLiteral("URL")};
    QCommandLineOption m_secretFile{QStringLiteral("jwt-secret-file"),
                                    QStringLiteral("File holding the HS256 token secret (else $OXM_JWT_SECRET, else a generated one kept beside the database)."),
                                    QStringLiteral("PATH")};
    QCommandLineOption m_streamTimeout{QStringLiteral("stream-timeout"),
                                       QStringLiteral("Seconds without a heartbeat before a stream ends (default 180)."),
                                       QStringLiteral("SECONDS")};
    QCommandLineOption m_threads{QStringLiteral("threads"),
                                 QStringLiteral("HTTP server threads (default 2)."), QStringLiteral("N")};
    QCommandLineOption m_trustedProxy{QStringLiteral("trusted-proxy"),
                                      QStringLiteral("Proxy address whose X-Forwarded-For is honoured (repeatable)."),
                                      QStringLiteral("ADDR")};
    QCommandLineOption m_maxBodyBytes{QStringLiteral("max-body-bytes"),
                                      QStringLiteral("Largest request body accepted, in bytes (default 1048576)."),
                                      QStringLiteral("N")};
    QCommandLineOption m_idleTimeout{QStringLiteral("idle-timeout"),
                                     QStringLiteral("Seconds before a connection without a request in progress is closed (default 30)."),
                                     QStringLiteral("SECONDS")};
    QCommandLineOption m_headerTimeout{QStringLiteral("header-timeout"),
                                       QStringLiteral("Seconds a client may take to send a request's headers (default 10)."),
                                       QStringLiteral("SECONDS")};
    QCommandLineOption m_maxConnections{QStringLiteral("max-connections"),
                                        QStringLiteral("Open connections at once; at the cap the longest-idle one is closed for a new one, and when none is idle the new one gets 503 (default 1000)."),
                                        QStringLiteral("N")};
    QCommandLineOption m_accessLog{QStringLiteral("access-log"),
                                   QStringLiteral("A line per request on stderr (category oxm.access): off (default), text or json."),
                                   QStringLiteral("FORMAT")};
    QCommandLineOption m_logRules{QStringLiteral("log-rules"),
                                  QStringLiteral("Logging rules, ';'-separated, e.g. \"oxm.*.debug=true\" (oxm-server re-reads them from the file and environment on SIGHUP)."),
                                  QStringLiteral("RULES")};
    QCommandLineOption m_tlsCert{QStringLiteral("tls-cert"),
                                 QStringLiteral("Serve HTTPS only, with this PEM certificate (chain); needs --tls-key."),
                                 QStringLiteral("FILE")};
    QCommandLineOption m_tlsKey{QStringLiteral("tls-key"),
                                QStringLiteral("PEM private key (RSA or EC, unencrypted) for --tls-cert."),
                                QStringLiteral("FILE")};
};

} // namespace oxm
