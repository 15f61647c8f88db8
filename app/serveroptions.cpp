#include "serveroptions.h"

#include "domain/apierror.h"
#include "storage/postgresstore.h"
#include "streams/redisclient.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QSettings>
#include <QStandardPaths>
#include <QRegularExpression>
#include <QUrl>
#include <memory>
#include <optional>
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
    parser.addOptions({m_listen, m_database, m_redis, m_secretFile, m_streamTimeout, m_threads, m_trustedProxy,
                       m_maxBodyBytes, m_idleTimeout, m_headerTimeout, m_maxConnections, m_tlsCert, m_tlsKey, m_accessLog, m_logRules, m_config});
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
    // A URL scheme (RFC 3986 §3.1: case-insensitive) before the first ':'; a plain path has none
    // (a file whose name starts like "name:" is given as sqlite:name:...).
    static const QRegularExpression kScheme(QStringLiteral("^([A-Za-z][A-Za-z0-9+.-]*):"));
    const QRegularExpressionMatch scheme = kScheme.match(url);
    if (!scheme.hasMatch())
        return url;
    if (scheme.captured(1).compare(QLatin1String("sqlite"), Qt::CaseInsensitive) == 0) {
        const QString rest = url.mid(7);
        return rest.startsWith(QLatin1String("//")) ? rest.mid(2) : rest; // sqlite:///abs or sqlite:PATH
    }
    fail(QStringLiteral("--database: \"%1\" is not a SQLite database; the supported URLs are sqlite:PATH and "
                        "postgresql://user:password@host:port/database")
             .arg(scheme.captured(1)));
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

QByteArray ServerOptions::loadSecret(const QString &secretFile, const QString &databasePath, const QString &databaseUrl)
{
    if (databaseUrl.isEmpty() || !secretFile.isEmpty() || !qEnvironmentVariableIsEmpty("OXM_JWT_SECRET"))
        return loadSecret(secretFile, databasePath);
    // PostgreSQL: kept in the database itself (settings table), so every instance shares it.
    try {
        return PostgresStore::sharedJwtSecret(databaseUrl);
    } catch (const StorageError &error) {
        fail(QStringLiteral("cannot read or store the JWT secret in the database: %1").arg(QString::fromUtf8(error.what())));
    }
}

QString ServerOptions::environmentName(const QCommandLineOption &option)
{
    return QStringLiteral("OXM_") + option.names().constFirst().toUpper().replace(QLatin1Char('-'), QLatin1Char('_'));
}

ServiceConfig ServerOptions::toConfig(const QCommandLineParser &parser) const
{
    // The configuration file (INI, QSettings): --config FILE, else the default file if it exists.
    std::unique_ptr<QSettings> file;
    QString filePath = parser.isSet(m_config) ? parser.value(m_config) : qEnvironmentVariable("OXM_CONFIG");
    if (filePath.isEmpty() && !m_defaultConfigFile.isEmpty() && QFileInfo::exists(m_defaultConfigFile))
        filePath = m_defaultConfigFile;
    if (!filePath.isEmpty()) {
        if (!QFileInfo(filePath).isReadable())
            fail(QStringLiteral("--config: cannot read \"%1\"").arg(filePath));
        file = std::make_unique<QSettings>(filePath, QSettings::IniFormat);
        if (file->status() != QSettings::NoError)
            fail(QStringLiteral("%1: not a valid INI file").arg(filePath));
        QStringList known;
        for (const QCommandLineOption *option : fileOptions())
            known << option->names().constFirst();
        for (const QString &key : file->allKeys()) {
            if (!known.contains(key))
                fail(QStringLiteral("%1: unknown setting \"%2\" (known: %3)").arg(filePath, key, known.join(QStringLiteral(", "))));
        }
    }

    // Command line > environment (OXM_<OPTION>) > file > defaults.
    const auto value = [&](const QCommandLineOption &option) -> std::optional<QString> {
        if (parser.isSet(option))
            return parser.value(option);
        const QString fromEnvironment = qEnvironmentVariable(environmentName(option).toLatin1().constData());
        if (!fromEnvironment.isEmpty())
            return fromEnvironment;
        const QString key = option.names().constFirst();
        if (file && file->contains(key)) {
            const QVariant v = file->value(key);
            return v.typeId() == QMetaType::QStringList ? v.toStringList().join(QLatin1Char(',')) : v.toString();
        }
        return std::nullopt;
    };
    const auto values = [&](const QCommandLineOption &option) {
        if (parser.isSet(option))
            return parser.values(option);
        QStringList list;
        for (const QString &item : value(option).value_or(QString()).split(QLatin1Char(','), Qt::SkipEmptyParts))
            list << item.trimmed();
        return list;
    };

    ServiceConfig config;
    if (const auto listen = value(m_listen))
        parseListen(*listen, config.listenAddress, config.port);
    const auto database = value(m_database);
    if (database && PostgresStore::isPostgresUrl(*database)) {
        try {
            PostgresStore::parseUrl(*database); // refuse a malformed URL now, with the reason
        } catch (const StorageError &error) {
            fail(QString::fromUtf8(error.what()));
        }
        config.databaseUrl = *database;
    } else {
        config.databasePath = database ? parseDatabaseUrl(*database) : defaultDatabasePath();
    }
    const auto number = [&value](const QCommandLineOption &option, qint64 min, qint64 max, qint64 fallback) {
        const auto text = value(option);
        if (!text)
            return fallback;
        bool ok = false;
        const qint64 number = text->trimmed().toLongLong(&ok);
        if (!ok || number < min || number > max)
            fail(QStringLiteral("--%1 wants a whole number from %2 to %3").arg(option.names().constFirst()).arg(min).arg(max));
        return number;
    };
    if (const auto redis = value(m_redis); redis && !redis->trimmed().isEmpty()) {
        try {
            RedisClient::Url::parse(redis->trimmed()); // refuse a malformed URL now, with the reason
        } catch (const std::invalid_argument &error) {
            fail(QStringLiteral("--redis: %1").arg(QString::fromUtf8(error.what())));
        }
        config.redisUrl = redis->trimmed();
    }
    config.streamTimeoutSeconds = int(number(m_streamTimeout, 1, 86400 * 365, config.streamTimeoutSeconds));
    config.httpThreads = int(number(m_threads, 1, 64, config.httpThreads));
    config.maxBodyBytes = number(m_maxBodyBytes, 0, qint64(1) << 40, config.maxBodyBytes);
    config.idleTimeoutMs = int(number(m_idleTimeout, 1, 86400, config.idleTimeoutMs / 1000) * 1000);
    config.headerTimeoutMs = int(number(m_headerTimeout, 1, 3600, config.headerTimeoutMs / 1000) * 1000);
    config.maxConnections = int(number(m_maxConnections, 1, 1000000, config.maxConnections));
    for (const QString &proxy : values(m_trustedProxy)) {
        QHostAddress address(proxy);
        if (address.isNull())
            fail(QStringLiteral("--trusted-proxy: \"%1\" is not an IP address").arg(proxy));
        config.trustedProxies.append(address);
    }
    const QString tlsCert = value(m_tlsCert).value_or(QString());
    const QString tlsKey = value(m_tlsKey).value_or(QString());
    if (tlsCert.isEmpty() != tlsKey.isEmpty())
        fail(QStringLiteral("HTTPS needs both --tls-cert FILE and --tls-key FILE"));
    for (const auto &[name, path] : {std::pair{"tls-cert", tlsCert}, std::pair{"tls-key", tlsKey}}) {
        if (!path.isEmpty() && !QFileInfo(path).isReadable())
            fail(QStringLiteral("--%1: cannot read \"%2\"").arg(QLatin1String(name), path));
    }
    const QString accessLog = value(m_accessLog).value_or(QStringLiteral("off")).trimmed();
    if (accessLog == QLatin1String("off"))
        config.accessLog = ServiceConfig::AccessLog::Off;
    else if (accessLog == QLatin1String("text"))
        config.accessLog = ServiceConfig::AccessLog::Text;
    else if (accessLog == QLatin1String("json"))
        config.accessLog = ServiceConfig::AccessLog::Json;
    else
        fail(QStringLiteral("--access-log wants off, text or json (got \"%1\")").arg(accessLog));
    config.logRules = value(m_logRules).value_or(QString());
    config.tlsCertificateFile = tlsCert;
    config.tlsKeyFile = tlsKey;
    // The secret: --jwt-secret-file, else $OXM_JWT_SECRET (the secret itself, contract §8), else
    // $OXM_JWT_SECRET_FILE or the file's jwt-secret-file, else generated beside the database.
    QString secretFile = parser.isSet(m_secretFile) ? parser.value(m_secretFile) : QString();
    if (secretFile.isEmpty() && qEnvironmentVariableIsEmpty("OXM_JWT_SECRET"))
        secretFile = value(m_secretFile).value_or(QString());
    config.jwtSecret = loadSecret(secretFile, config.databasePath, config.databaseUrl);
    return config;
}

QList<const QCommandLineOption *> ServerOptions::fileOptions() const
{
    return {&m_listen, &m_database, &m_redis, &m_secretFile, &m_streamTimeout, &m_threads, &m_trustedProxy, &m_maxBodyBytes,
            &m_idleTimeout, &m_headerTimeout, &m_maxConnections, &m_tlsCert, &m_tlsKey, &m_accessLog, &m_logRules};
}

} // namespace oxm
