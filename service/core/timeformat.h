#pragma once

#include <QString>

namespace oxm {

/// RFC 3339 UTC with nine fractional digits, e.g. "2019-04-25T19:06:21.577870309Z"
/// (seed: "List stream progress history"; contract §5 and §6).
QString rfc3339Nanos(qint64 nsSinceEpoch);

/// RFC 3339 UTC with whole seconds, e.g. "2019-04-25T19:06:21Z" (refusal bodies, contract §5).
QString rfc3339Seconds(qint64 nsSinceEpoch);

} // namespace oxm
