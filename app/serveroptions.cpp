#include "serveroptions.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QStandardPaths>
#include <QUrl>
#include <stdexcept>

namespace oxm {

namespace {
[[noreturn]] void fail(const QString &message)
{
    throw std::invalid_argument(message.toStdString());
}
} // namespace

void ServerOptions::addTo(QCommandLineParser &parser)
{
    parser.addOptions({m_listen, m_database, m_secretFile, m_streamTimeout, m_threads, m_trustedProxy,
                       m_maxBodyBytes, m_idleTimeout, m_headerTimeout, m_maxConnections, m_tlsCert, m_tlsKey});
}

QString ServerOptions::defaultDatabasePath()
{
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation);
    return QDir(dir).filePath(QStringLiteral("oxm/oxm.sqlite"));
}

void ServerOptions::parseListen(const QString &text, QHostAddress &address, quint16 &port)
{
    const qsizetype colon = text.lastIndexOf(QLatin1Char(':'));
    if (colon <= 0)
        fail(QStringLiteral("--listen wants HOST:PORT, e.g. 127.0.0.1:8080 (got \"%1\")").arg(text));
    QString host = text.left(colon);
    if (host.startsWith(QLatin1Char('[')) && host.endsWith(QLatin1Char(']')))
        host = host.mid(1, host.size() - 2);
    bool ok = false;
    const uint p = text.mid(colon + 1).toUInt(&ok);
    if (!ok || p > 65535)
        fail(QStringLiteral("--listen: \"%1\" is not a port number").arg(text.mid(colon + 1)));
    if (host == QLatin1String("localhost"))
        host = QStringLiteral("127.0.0.1");
    QHostAddress parsed(host);
    if (parsed.isNull())
        fail(QStringLiteral("--listen: \"%1\" is not an IP address").arg(host));
    address = parsed;
    port = quint16(p);
}

QString ServerOptions::parseDatabaseUrl(const QString &url)
{
    if (url.startsWith(QLatin1String("sqlite:")))
        return url.startsWith(QLatin1String("sqlite://")) ? url.mid(9) : url.mid(7); // sqlite:///abs or sqlite:PATH
    if (url.contains(QLatin1String("://")))
        fail(QStringLiteral("--database: only sqlite:PATH is supported by this build (got \"%1\")")
                 .arg(QUrl(url).scheme()));
    return url;
}

QByteArray ServerOptions::loadSecret(const QString &secretFile, const QString &databasePath)
{
    const auto readSecret = [](const QString &path) {
        QFile file(path);
        if ((file.permissions() & QFileDevice::ReadOther) != 0)
            fail(QStringLiteral("the secret file %1 is readable by every user; run: chmod 600 %1").arg(path));
        if (!file.open(QIODevice::ReadOnly))
            fail(QStringLiteral("cannot read the secret file %1: %2").arg(path, file.errorString()));
        const QByteArray secret = file.readAll().trimmed();
        if (secret.isEmpty())
            fail(QStringLiteral("the secret file %1 is empty").arg(path));
        return secret;
    };
    if (!secretFile.isEmpty())
        return readSecret(secretFile);
    const QByteArray fromEnvironment = qgetenv("OXM_JWT_SECRET");
    if (!fromEnvironment.isEmpty())
        return fromEnvironment;

    // Generated once and kept beside the database, readable by its owner only.
    const QString path = QFileInfo(databasePath).absoluteDir().filePath(QStringLiteral("jwt-secret"));
    if (QFileInfo::exists(path))
        return readSecret(path);
    QDir().mkpath(QFileInfo(path).absolutePath());
    QByteArray secret(32, Qt::Uninitialized);
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(secret.data()), secret.size() / 4);
    secret = secret.toHex();
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::NewOnly)
        || !file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner)
        || file.write(secret + '\n') != secret.size() + 1 || !file.flush())
        fail(QStringLiteral("cannot create the secret file %1: %2").arg(path, file.errorString()));
    return secret;
}

ServiceConfig ServerOptions::toConfig(const QCommandLineParser &parser) const
{
    ServiceConfig config;
    if (parser.isSet(m_listen))
        parseListen(parser.value(m_listen), config.listenAddress, config.port);
    config.databasePath = parser.isSet(m_database) ? parseDatabaseUrl(parser.value(m_database)) : defaultDatabasePath();
    if (parser.isSet(m_streamTimeout)) {
        bool ok = false;
        config.streamTimeoutSeconds = parser.value(m_streamTimeout).toInt(&ok);
        if (!ok || config.streamTimeoutSeconds < 1)
            fail(QStringLiteral("--stream-timeout wants a whole number of seconds ≥ 1"));
    }
    if (parser.isSet(m_threads)) {
        bool ok = false;
        config.httpThreads = parser.value(m_threads).toInt(&ok);
        if (!ok || config.httpThreads < 1 || config.httpThreads > 64)
            fail(QStringLiteral("--threads wants a number from 1 to 64"));
    }
    const auto number = [&parser](const QCommandLineOption &option, qint64 min, qint64 max, qint64 fallback) {
        if (!parser.isSet(option))
            return fallback;
        bool ok = false;
        const qint64 value = parser.value(option).toLongLong(&ok);
        if (!ok || value < min || value > max)
            fail(QStringLiteral("--%1 wants a whole number from %2 to %3").arg(option.names().constFirst()).arg(min).arg(max));
        return value;
    };
    config.maxBodyBytes = number(m_maxBodyBytes, 0, qint64(1) << 40, config.maxBodyBytes);
    config.idleTimeoutMs = int(number(m_idleTimeout, 1, 86400, config.idleTimeoutMs / 1000) * 1000);
    config.headerTimeoutMs = int(number(m_headerTimeout, 1, 3600, config.headerTimeoutMs / 1000) * 1000);
    config.maxConnections = int(number(m_maxConnections, 1, 1000000, config.maxConnections));
    for (const QString &proxy : parser.values(m_trustedProxy)) {
        QHostAddress address(proxy);
        if (address.isNull())
            fail(QStringLiteral("--trusted-proxy: \"%1\" is not an IP address").arg(proxy));
        config.trustedProxies.append(address);
    }
    if (parser.isSet(m_tlsCert) != parser.isSet(m_tlsKey))
        fail(QStringLiteral("HTTPS needs both --tls-cert FILE and --tls-key FILE"));
    for (const QCommandLineOption *option : {&m_tlsCert, &m_tlsKey}) {
        if (parser.isSet(*option) && !QFileInfo(parser.value(*option)).isReadable())
            fail(QStringLiteral("--%1: cannot read \"%2\"").arg(option->names().constFirst(), parser.value(*option)));
    }
    config.tlsCertificateFile = parser.value(m_tlsCert);
    config.tlsKeyFile = parser.value(m_tlsKey);
    config.jwtSecret = loadSecret(parser.value(m_secretFile), config.databasePath);
    return config;
}

} // namespace oxm
