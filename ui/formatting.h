#pragma once

#include <QHostAddress>
#include <QString>

namespace oxm::format {

/// Seconds as h:mm:ss ("0:07:05", "12:00:00"); negative values give "—".
QString duration(qint64 seconds);
/// A time (ns since the epoch) in the viewer's local time zone: "hh:mm:ss", or with the date
/// ("yyyy-MM-dd hh:mm:ss") when `withDate`. Uses utcOffsetSeconds().
QString localTime(qint64 nsSinceEpoch, bool withDate = false);
/// A time (ms since the epoch) in the local time zone, formatted with a QDateTime `format`
/// (e.g. "hh:mm:ss.zzz"). Uses utcOffsetSeconds().
QString localTimeMs(qint64 msSinceEpoch, const QString &format);
/// The local time zone's offset from UTC at `msSinceEpoch`, in seconds (CET: 3600). Looked up
/// once per hour of time, thread and $TZ value, not per call: with TZ unset, glibc's localtime()
/// stats /etc/localtime on every call (~28 % of the GUI thread under a heartbeat load, issue 6).
/// An hour holding a daylight-saving change is looked up per call. A change of /etc/localtime
/// while the app runs shows from the next hour looked up.
int utcOffsetSeconds(qint64 msSinceEpoch);
/// The API's base URL for a listening address: "http://127.0.0.1:8080/oxm/v1" ("https://…" with
/// `tls`; IPv6 bracketed).
/// With `forLocalClient`, an unspecified address (0.0.0.0, ::) becomes the loopback one, which
/// is what a curl on this machine should use.
QString apiUrl(const QHostAddress &address, quint16 port, bool forLocalClient = false, bool tls = false);
/// A limit of a streaming policy: the number, or "no limit" for 0.
QString limit(int value);

} // namespace oxm::format
