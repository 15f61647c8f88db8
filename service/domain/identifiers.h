#pragma once

#include <QByteArray>
#include <QString>
#include <optional>

namespace oxm {

/// Identifier rules of contract §3 for tenant, assetID, sub and device: 1–256 bytes of valid
/// UTF-8 (after percent-decoding), no control characters (U+0000–U+001F, U+007F).
/// Returns the identifier as a QString, or std::nullopt when it breaks a rule.
std::optional<QString> validIdentifier(const QByteArray &utf8);

/// Same check for a value that is already a QString (e.g. a JSON claim).
bool isValidIdentifier(const QString &id);

} // namespace oxm
