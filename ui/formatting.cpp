#include "formatting.h"

#include <QCoreApplication>
#include <QDateTime>

namespace oxm::format {

QString duration(qint64 seconds)
{
    if (seconds < 0)
        return QStringLiteral("—");
    return QStringLiteral("%1:%2:%3")
        .arg(seconds / 3600)
        .arg((seconds / 60) % 60, 2, 10, QLatin1Char('0'))
        .arg(seconds % 60, 2, 10, QLatin1Char('0'));
}

QString localTime(qint64 nsSinceEpoch, bool withDate)
{
    const QDateTime time = QDateTime::fromMSecsSinceEpoch(nsSinceEpoch / 1000000).toLocalTime();
    return time.toString(withDate ? QStringLiteral("yyyy-MM-dd hh:mm:ss") : QStringLiteral("hh:mm:ss"));
}

QString apiUrl(const QHostAddress &address, quint16 port, bool forLocalClient, bool tls)
{
    QHostAddress shown = address;
    if (forLocalClient && (address == QHostAddress::Any || address == QHostAddress::AnyIPv4))
        shown = QHostAddress::LocalHost;
    else if (forLocalClient && address == QHostAddress::AnyIPv6)
        shown = QHostAddress::LocalHostIPv6;
    const QString host = shown.protocol() == QAbstractSocket::IPv6Protocol
                             ? QLatin1Char('[') + shown.toString() + QLatin1Char(']')
                             : shown.toString();
    return QStringLiteral("%1://%2:%3/oxm/v1").arg(tls ? QStringLiteral("https") : QStringLiteral("http"), host).arg(port);
}

QString limit(int value)
{
    return value == 0 ? QCoreApplication::translate("oxm", "no limit") : QString::number(value);
}

} // namespace oxm::format
