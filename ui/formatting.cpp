#include "formatting.h"

#include <QCoreApplication>
#include <QDateTime>
#include <limits>

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

int utcOffsetSeconds(qint64 msSinceEpoch)
{
    constexpr qint64 kHourMs = 3600 * 1000;
    struct Cache
    {
        qint64 hour = std::numeric_limits<qint64>::min();
        QByteArray tz;        // $TZ when it was looked up (null: unset)
        int offsetS = 0;
        bool uniform = false; // the offset held for the whole hour
    };
    thread_local Cache cache;
    const qint64 hour = msSinceEpoch >= 0 ? msSinceEpoch / kHourMs : -((kHourMs - 1 - msSinceEpoch) / kHourMs);
    const QByteArray tz = qgetenv("TZ");
    if (hour != cache.hour || tz != cache.tz || tz.isNull() != cache.tz.isNull()) {
        cache.hour = hour;
        cache.tz = tz;
        cache.offsetS = QDateTime::fromMSecsSinceEpoch(hour * kHourMs).offsetFromUtc();
        // Offsets change at most once an hour, so equal ends mean no change inside it.
        cache.uniform = QDateTime::fromMSecsSinceEpoch(hour * kHourMs + kHourMs - 1).offsetFromUtc() == cache.offsetS;
    }
    return cache.uniform ? cache.offsetS : QDateTime::fromMSecsSinceEpoch(msSinceEpoch).offsetFromUtc();
}

QString localTimeMs(qint64 msSinceEpoch, const QString &format)
{
    // The local wall clock is UTC shifted by the offset: formatted as UTC, no zone lookup.
    return QDateTime::fromMSecsSinceEpoch(msSinceEpoch + qint64(utcOffsetSeconds(msSinceEpoch)) * 1000, Qt::UTC)
        .toString(format);
}

QString localTime(qint64 nsSinceEpoch, bool withDate)
{
    return localTimeMs(nsSinceEpoch / 1000000,
                       withDate ? QStringLiteral("yyyy-MM-dd hh:mm:ss") : QStringLiteral("hh:mm:ss"));
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
