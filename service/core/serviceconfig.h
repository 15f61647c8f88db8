#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QList>
#include <QString>

namespace oxm {

/// Everything the service needs to run, filled by app/ from the command line, the environment
/// and defaults (contract §8). A plain value; the service never reads the command line itself.
struct ServiceConfig
{
    QHostAddress listenAddress = QHostAddress::LocalHost; ///< --listen HOST:PORT
    quint16 port = 8080;                                  ///< 0 picks a free port
    QString databasePath;             ///< SQLite file (from --database sqlite:PATH)
    QString databaseUrl;              ///< --database postgresql://user:pass@host:port/db (issue 5); when set, PostgreSQL is used and databasePath is ignored
    QByteArray jwtSecret;             ///< HS256 key (--jwt-secret-file / OXM_JWT_SECRET / generated)
    int streamTimeoutSeconds = 180;   ///< --stream-timeout (contract §5)
    // Shared active-stream state (issue 5; docs/deploy.md "Redis"): empty → in this process.
    QString redisUrl;                 ///< --redis redis://HOST[:PORT][/DB] (OXM_REDIS, config key "redis")
    QByteArray redisKeyPrefix = "oxm:"; ///< prefix of every Redis key (deployments or tests sharing a database)
    int httpThreads = 2;              ///< QHttpServer instances sharing the listening socket
    qint64 maxBodyBytes = 1048576;    ///< --max-body-bytes: larger bodies get 413/1090 (contract §2)
    // The front door (ConnectionGuard; docs/api.md, "Front door limits").
    int maxRequestLineBytes = 8192;   ///< longer request targets get 414/1100
    int maxHeaderBytes = 16384;       ///< larger header blocks get 431/1100
    int maxHeaderCount = 100;         ///< more header lines get 431/1100
    int idleTimeoutMs = 30000;        ///< --idle-timeout: connection without a request in progress
    int headerTimeoutMs = 10000;      ///< --header-timeout: first byte of a request to end of headers
    int maxConnections = 1000;        ///< --max-connections: open connections per process
    QList<QHostAddress> trustedProxies; ///< peers whose X-Forwarded-For is honoured (contract §5)
    // HTTPS (issue 4): both set → the port serves TLS only; PEM files.
    QString tlsCertificateFile;       ///< --tls-cert: certificate (chain), PEM
    QString tlsKeyFile;               ///< --tls-key: unencrypted RSA or EC private key, PEM
    // Logs (issue 7; docs/configuration.md).
    enum class AccessLog { Off, Text, Json };
    AccessLog accessLog = AccessLog::Off; ///< --access-log off|text|json: a line per request (category oxm.access)
    QString logRules;                 ///< --log-rules: QLoggingCategory rules, ';'-separated (e.g. "oxm.*.debug=true")
};

} // namespace oxm
