#include "identifiers.h"

#include <QStringDecoder>

namespace oxm {

namespace {
constexpr int MaxIdBytes = 256;

bool hasControlCharacter(const QByteArray &utf8)
{
    for (const char c : utf8) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7F)
            return true;
    }
    return false;
}
} // namespace

std::optional<QString> validIdentifier(const QByteArray &utf8)
{
    if (utf8.isEmpty() || utf8.size() > MaxIdBytes || hasControlCharacter(utf8))
        return std::nullopt;
    // ConvertInitialBom keeps a leading U+FEFF: IDs are byte-exact (contract §3).
    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless | QStringDecoder::Flag::ConvertInitialBom);
    QString id = decoder.decode(utf8);
    if (decoder.hasError())
        return std::nullopt;
    return id;
}

bool isValidIdentifier(const QString &id)
{
    return validIdentifier(id.toUtf8()).has_value();
}

} // namespace oxm
