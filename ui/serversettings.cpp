#include "serversettings.h"

#include <QSettings>

namespace oxm {

ServerSettings ServerSettings::load(const QSettings &settings)
{
    ServerSettings s;
    s.listen = settings.value(QStringLiteral("server/listen"), s.listen).toString();
    s.database = settings.value(QStringLiteral("server/database"), s.database).toString();
    s.redis = settings.value(QStringLiteral("server/redis"), s.redis).toString();
    s.jwtSecretFile = settings.value(QStringLiteral("server/jwtSecretFile"), s.jwtSecretFile).toString();
    s.streamTimeoutSeconds = settings.value(QStringLiteral("server/streamTimeout"), s.streamTimeoutSeconds).toInt();
    s.threads = settings.value(QStringLiteral("server/threads"), s.threads).toInt();
    s.tlsCertificateFile = settings.value(QStringLiteral("server/tlsCert"), s.tlsCertificateFile).toString();
    s.tlsKeyFile = settings.value(QStringLiteral("server/tlsKey"), s.tlsKeyFile).toString();
    return s;
}

void ServerSettings::save(QSettings &settings) const
{
    settings.setValue(QStringLiteral("server/listen"), listen);
    settings.setValue(QStringLiteral("server/database"), database);
    settings.setValue(QStringLiteral("server/redis"), redis);
    settings.setValue(QStringLiteral("server/jwtSecretFile"), jwtSecretFile);
    settings.setValue(QStringLiteral("server/streamTimeout"), streamTimeoutSeconds);
    settings.setValue(QStringLiteral("server/threads"), threads);
    settings.setValue(QStringLiteral("server/tlsCert"), tlsCertificateFile);
    settings.setValue(QStringLiteral("server/tlsKey"), tlsKeyFile);
}

} // namespace oxm
