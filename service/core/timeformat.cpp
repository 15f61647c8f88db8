#include "timeformat.h"

#include <QDateTime>

namespace oxm {

namespace {
qint64 floorDiv(qint64 a, qint64 b)
{
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}
} // namespace

QString rfc3339Nanos(qint64 ns)
{
    const qint64 secs = floorDiv(ns, 1000000000LL);
    const qint64 frac = ns % 1000000000LL < 0 ? ns % 1000000000LL + 1000000000LL : ns % 1000000000LL;
    const QDateTime dt = QDateTime::fromSecsSinceEpoch(secs, Qt::UTC);
    return dt.toString(QStringLiteral("yyyy-MM-dd'T'HH:mm:ss")) + QLatin1Char('.')
        + QStringLiteral("%1").arg(frac, 9, 10, QLatin1Char('0')) + QLatin1Char('Z');
}

QString rfc3339Seconds(qint64 ns)
{
    const qint64 secs = floorDiv(ns, 1000000000LL);
    return QDateTime::fromSecsSinceEpoch(secs, Qt::UTC).toString(QStringLiteral("yyyy-MM-dd'T'HH:mm:ss'Z'"));
}

} // namespace oxm
