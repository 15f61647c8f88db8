#include "fuzzsupport.h"

#include "auth/tokenverifier.h"
#include "core/clock.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QMessageAuthenticationCode>
#include <QtGlobal>
#include <cstdio>
#include <cstdlib>

namespace oxm::fuzz {

QByteArray secret()
{
    return QByteArrayLiteral("oxm-fuzz-secret-0123456789abcdef");
}

QByteArray base64Url(const QByteArray &data)
{
    return data.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

QByteArray signHs256(const QByteArray &headerJson, const QByteArray &payloadJson, const QByteArray &key)
{
    const QByteArray input = base64Url(headerJson) + '.' + base64Url(payloadJson);
    return input + '.' + base64Url(QMessageAuthenticationCode::hash(input, key, QCryptographicHash::Sha256));
}

namespace {
constexpr qint64 TenYears = 10LL * 365 * 24 * 3600;

QByteArray issue(qint64 atSeconds, const QString &tenant, const QString &user, Principal::Role role,
                 const QString &device, qint64 ttl, const QByteArray &key = secret())
{
    const ManualClock clock(atSeconds * 1000000000LL);
    return TokenIssuer(key, clock).issue(tenant, user, role, device, ttl);
}

QByteArray json(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

QList<NamedToken> makeTokens()
{
    using Role = Principal::Role;
    const qint64 now = NowSeconds;
    const QString acme = QStringLiteral("acme");
    const QString alice = QStringLiteral("alice");
    const QJsonObject aliceClaims{{QStringLiteral("tenant"), acme},
                                  {QStringLiteral("sub"), alice},
                                  {QStringLiteral("exp"), now + TenYears}};
    QJsonObject stringExp = aliceClaims;
    stringExp.insert(QStringLiteral("exp"), QString::number(now + TenYears));

    const QList<QPair<QByteArray, QString>> list = {
        {issue(now, acme, alice, Role::Subscriber, {}, TenYears), QStringLiteral("acme/alice, subscriber")},
        {issue(now, acme, QStringLiteral("root"), Role::Admin, {}, TenYears), QStringLiteral("acme/root, admin")},
        {issue(now, acme, QStringLiteral("bob"), Role::Subscriber, QStringLiteral("tv-1"), TenYears),
         QStringLiteral("acme/bob, device claim tv-1")},
        {issue(now, QStringLiteral("globex"), QStringLiteral("carol"), Role::Subscriber, {}, TenYears),
         QStringLiteral("globex/carol (tenant never registered)")},
        {issue(now, QString::fromUtf8("\xC3\xBCmlaut/t"), QStringLiteral("d%2Fave+x"), Role::Admin, {}, TenYears),
         QStringLiteral("\u00fcmlaut/t (registered) / d%2Fave+x, admin")},
        {issue(now - 7200, acme, alice, Role::Subscriber, {}, 3600), QStringLiteral("acme/alice, expired an hour ago (1002)")},
        {issue(now + 3600, acme, alice, Role::Subscriber, {}, 3600), QStringLiteral("acme/alice, iat an hour ahead (1002)")},
        {base64Url(R"({"alg":"none","typ":"JWT"})") + '.' + base64Url(json(aliceClaims)) + '.',
         QStringLiteral("acme/alice, alg none, no signature (1001)")},
        {issue(now, acme, alice, Role::Subscriber, {}, TenYears, "another-secret"),
         QStringLiteral("acme/alice signed with another secret (1001)")},
        {signHs256(R"({"alg":"HS256","typ":"JWT"})", json(stringExp), secret()),
         QStringLiteral("acme/alice, exp is a string (1001)")},
    };
    QList<NamedToken> tokens;
    for (qsizetype i = 0; i < list.size(); ++i)
        tokens.append({"@T" + QByteArray::number(i) + '@', list[i].first, list[i].second});
    return tokens;
}
} // namespace

const QList<NamedToken> &tokens()
{
    static const QList<NamedToken> all = makeTokens();
    return all;
}

QByteArray expandTokens(const QByteArray &input)
{
    if (!input.contains("@T"))
        return input;
    QByteArray out = input;
    for (const NamedToken &t : tokens())
        out.replace(t.marker, t.token);
    return out;
}

void fail(const char *what, const QByteArray &detail)
{
    std::fprintf(stderr, "\n*** OXM fuzz check failed: %s\n", what);
    if (!detail.isEmpty()) {
        // Control bytes other than LF are shown escaped (\r, \0, \xNN): printed raw, a NUL in
        // the input cut the report before the answer (finding 9).
        QByteArray shown;
        for (const char c : detail.left(20000)) {
            const auto byte = static_cast<unsigned char>(c);
            if (c == '\r')
                shown += "\\r";
            else if (c == '\0')
                shown += "\\0";
            else if (c != '\n' && (byte < 0x20 || byte == 0x7f))
                shown += "\\x" + QByteArray::number(byte, 16).rightJustified(2, '0');
            else
                shown += c;
        }
        std::fprintf(stderr, "%s\n", shown.constData());
    }
    std::fflush(stderr);
    std::abort();
}

namespace {
bool verbose = false;

void messageHandler(QtMsgType type, const QMessageLogContext &, const QString &message)
{
    if (type == QtFatalMsg) {
        std::fprintf(stderr, "qFatal: %s\n", qPrintable(message));
        std::abort();
    }
    if (verbose)
        std::fprintf(stderr, "%s\n", qPrintable(message));
}
} // namespace

void installMessageHandler()
{
    verbose = qEnvironmentVariableIsSet("OXM_FUZZ_VERBOSE");
    qInstallMessageHandler(messageHandler);
}

} // namespace oxm::fuzz
