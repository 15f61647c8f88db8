#pragma once

#include <QHostAddress>
#include <QString>

namespace oxm::format {

/// Seconds as h:mm:ss ("0:07:05", "12:00:00"); negative values give "—".
QString duration(qint64 seconds);
/// A time (ns since the epoch) in the viewer's local time zone: "hh:mm:ss", or with the date
/// ("yyyy-MM-dd hh:mm:ss") when `withDate`.
QString localTime(qint64 nsSinceEpoch, bool withDate = false);
/// The API's base URL for a listening address: "http://127.0.0.1:8080/oxm/v1" ("https://…" with
/// `tls`; IPv6 bracketed).
/// With `forLocalClient`, an unspecified address (0.0.0.0, ::) becomes the loopback one, which
/// is what a curl on this machine should use.
QString apiUrl(const QHostAddress &address, quint16 port, bool forLocalClient = false, bool tls = false);
/// A limit of a streaming policy: the number, or "no limit" for 0.
QString limit(int value);

} // namespace oxm::format
