#include "adminconfig.h"

#include "serveroptions.h"

#include <QCommandLineParser>
#include <stdexcept>

namespace oxm {

ServerSettings AdminConfig::mergeCommandLine(ServerSettings settings, const QCommandLineParser &parser)
{
    const auto given = [&parser](const char *name) { return parser.isSet(QLatin1String(name)); };
    if (given("listen"))
        settings.listen = parser.value(QStringLiteral("listen"));
    if (given("database"))
        settings.database = parser.value(QStringLiteral("database"));
    if (given("redis"))
        settings.redis = parser.value(QStringLiteral("redis"));
    if (given("jwt-secret-file"))
        settings.jwtSecretFile = parser.value(QStringLiteral("jwt-secret-file"));
    if (given("tls-cert"))
        settings.tlsCertificateFile = parser.value(QStringLiteral("tls-cert"));
    if (given("tls-key"))
        settings.tlsKeyFile = parser.value(QStringLiteral("tls-key"));
    bool ok = true;
    if (given("stream-timeout"))
        settings.streamTimeoutSeconds = parser.value(QStringLiteral("stream-timeout")).toInt(&ok);
    if (!ok || settings.streamTimeoutSeconds < 1)
        throw std::invalid_argument("--stream-timeout wants a whole number of seconds >= 1");
    if (given("threads"))
        settings.threads = parser.value(QStringLiteral("threads")).toInt(&ok);
    if (!ok || settings.threads < 1 || settings.threads > 64)
        throw std::invalid_argument("--threads wants a number from 1 to 64");
    return settings;
}

ServiceConfig AdminConfig::toServiceConfig(const ServerSettings &settings, const QStringList &trustedProxies)
{
    QStringList arguments{QStringLiteral("oxm-admin"), QStringLiteral("--listen"), settings.listen,
                          QStringLiteral("--stream-timeout"), QString::number(settings.streamTimeoutSeconds),
                          QStringLiteral("--threads"), QString::number(settings.threads)};
    if (!settings.database.isEmpty())
        arguments << QStringLiteral("--database") << settings.database;
    if (!settings.redis.isEmpty())
        arguments << QStringLiteral("--redis") << settings.redis;
    if (!settings.jwtSecretFile.isEmpty())
        arguments << QStringLiteral("--jwt-secret-file") << settings.jwtSecretFile;
    if (!settings.tlsCertificateFile.isEmpty())
        arguments << QStringLiteral("--tls-cert") << settings.tlsCertificateFile;
    if (!settings.tlsKeyFile.isEmpty())
        arguments << QStringLiteral("--tls-key") << settings.tlsKeyFile;
    for (const QString &proxy : trustedProxies)
        arguments << QStringLiteral("--trusted-proxy") << proxy;
    QCommandLineParser parser;
    ServerOptions options;
    options.addTo(parser);
    if (!parser.parse(arguments))
        throw std::invalid_argument(parser.errorText().toStdString());
    return options.toConfig(parser);
}

} // namespace oxm
