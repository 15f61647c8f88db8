// Tests of TokenVerifier / TokenIssuer against contract §1 (authentication) and §3 (identifiers).
// Negative tokens are built here, independently of cpp-jwt and TokenIssuer, with
// QMessageAuthenticationCode and base64url, so a bug shared by issuer and verifier cannot hide.

#include "auth/tokenverifier.h"
#include "core/clock.h"
#include "domain/apierror.h"
#include "testsupport.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QMessageAuthenticationCode>
#include <QRandomGenerator>
#include <QTest>
#include <QThread>

#include <atomic>

using namespace oxm;

namespace {

// Expected codes, straight from contract §1's table.
constexpr int Ok = 0;
constexpr int Missing = 1000; // header missing, or not Bearer
constexpr int Invalid = 1001; // malformed, bad signature, alg != HS256, bad/missing claims, bad role
constexpr int Expired = 1002; // exp > 60 s past, nbf/iat > 60 s future
constexpr qint64 Leeway = 60; // contract §1: "the leeway for clock skew"

constexpr qint64 Now = 1700000000;          // seconds since the epoch, the ManualClock's "now"
constexpr qint64 NsPerS = 1000000000;

QByteArray b64url(const QByteArray &data)
{
    return data.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

enum class Sig { None, HS256, HS384, HS512 };

/// A compact JWS built by hand: base64url(header).base64url(payload).base64url(mac).
QByteArray makeToken(const QByteArray &headerJson, const QByteArray &payloadJson,
                     Sig sig = Sig::HS256, const QByteArray &secret = test::testSecret())
{
    const QByteArray input = b64url(headerJson) + '.' + b64url(payloadJson);
    QByteArray mac;
    switch (sig) {
    case Sig::None:
        break;
    case Sig::HS256:
        mac = QMessageAuthenticationCode::hash(input, secret, QCryptographicHash::Sha256);
        break;
    case Sig::HS384:
        mac = QMessageAuthenticationCode::hash(input, secret, QCryptographicHash::Sha384);
        break;
    case Sig::HS512:
        mac = QMessageAuthenticationCode::hash(input, secret, QCryptographicHash::Sha512);
        break;
    }
    return input + '.' + b64url(mac);
}

const QByteArray Hs256Header = R"({"alg":"HS256","typ":"JWT"})";

/// Claims as (name, raw JSON value) so that wrong types can be written literally.
using Claims = QList<QPair<QByteArray, QByteArray>>;

QByteArray str(const QByteArray &utf8) { return '"' + utf8 + '"'; }
QByteArray num(qint64 n) { return QByteArray::number(n); }

Claims validClaims()
{
    return {{"tenant", str("acme")}, {"sub", str("alice")}, {"exp", num(Now + 3600)}};
}

Claims with(Claims claims, const QByteArray &name, const QByteArray &rawValue)
{
    for (auto &claim : claims) {
        if (claim.first == name) {
            claim.second = rawValue;
            return claims;
        }
    }
    claims.append({name, rawValue});
    return claims;
}

Claims without(Claims claims, const QByteArray &name)
{
    claims.removeIf([&](const auto &claim) { return claim.first == name; });
    return claims;
}

QByteArray toJson(const Claims &claims)
{
    QByteArrayList members;
    for (const auto &[name, value] : claims)
        members << str(name) + ':' + value;
    return '{' + members.join(',') + '}';
}

QByteArray signedToken(const Claims &claims) { return makeToken(Hs256Header, toJson(claims)); }
QByteArray bearer(const QByteArray &token) { return "Bearer " + token; }

/// Runs verify; returns 0 on success (filling *principal) or the ApiError's code. Any other
/// exception escapes and fails the test. Also checks that an error message is human text that
/// leaks neither the token nor the secret.
int verifyCode(const TokenVerifier &verifier, const QByteArray &header, Principal *principal = nullptr)
{
    try {
        const Principal p = verifier.verify(header);
        if (principal)
            *principal = p;
        return Ok;
    } catch (const ApiError &e) {
        const QString message = e.message();
        [&] {
            QVERIFY2(!message.isEmpty(), "empty error message");
            QVERIFY2(!message.contains(QString::fromLatin1(test::testSecret())), "secret leaked");
            const QByteArray token = header.mid(header.indexOf(' ') + 1).trimmed();
            if (token.size() >= 8) // short fragments ("xyz") may legitimately be words
                QVERIFY2(!message.toUtf8().contains(token), "token leaked into the message");
        }();
        return int(e.code());
    }
}

} // namespace

class TestTokenVerifier : public QObject
{
    Q_OBJECT

private slots:
    void contractConstants();

    void authorizationHeader_data();
    void authorizationHeader();

    void tokenStructureAndSignature_data();
    void tokenStructureAndSignature();

    void claims_data();
    void claims();

    void timeWindow_data();
    void timeWindow();

    void roundTrip_data();
    void roundTrip();

    void issuedTokenExpiry_data();
    void issuedTokenExpiry();

    void issueRejectsBadArguments_data();
    void issueRejectsBadArguments();

    void emptySecretFailsClosed();
    void mutatedTokensOnlyThrowApiError();

    // The cache of verified tokens (issue 6).
    void cachedTimeWindow_data();
    void cachedTimeWindow();
    void cacheKeyIsTheWholeToken_data();
    void cacheKeyIsTheWholeToken();
    void cacheIsBounded_data();
    void cacheIsBounded();
    void cacheUnderConcurrentCallers();
};

void TestTokenVerifier::contractConstants()
{
    QCOMPARE(TokenVerifier::LeewaySeconds, Leeway);
    QCOMPARE(int(ErrorCode::MissingToken), Missing);
    QCOMPARE(int(ErrorCode::InvalidToken), Invalid);
    QCOMPARE(int(ErrorCode::ExpiredToken), Expired);
}

// ---- Authorization header: "Bearer <token>" ------------------------------------------------

void TestTokenVerifier::authorizationHeader_data()
{
    QTest::addColumn<QByteArray>("header");
    QTest::addColumn<int>("code");

    const QByteArray good = signedToken(validClaims());

    QTest::addRow("empty header") << QByteArray() << Missing;
    QTest::addRow("whitespace only") << QByteArray("   ") << Missing;
    QTest::addRow("Basic scheme") << QByteArray("Basic xyz") << Missing;
    QTest::addRow("Basic scheme with a valid JWT") << "Basic " + good << Missing;
    // Decision (documented in tokenverifier.h): "Bearer" with no token is "missing" → 1000.
    QTest::addRow("Bearer alone") << QByteArray("Bearer") << Missing;
    QTest::addRow("Bearer and spaces") << QByteArray("Bearer   ") << Missing;
    QTest::addRow("token without scheme") << good << Missing;
    QTest::addRow("scheme Bearerx") << "Bearerx " + good << Missing;
    QTest::addRow("scheme Bear") << "Bear " + good << Missing;
    QTest::addRow("Bearer") << "Bearer " + good << Ok;
    QTest::addRow("bearer lowercase") << "bearer " + good << Ok;
    QTest::addRow("BEARER uppercase") << "BEARER " + good << Ok;
    QTest::addRow("surrounding whitespace") << " Bearer " + good + " " << Ok;
    QTest::addRow("several spaces after scheme") << "Bearer   " + good << Ok;
    QTest::addRow("two tokens") << "Bearer " + good + " " + good << Invalid;
    QTest::addRow("garbage abc.def") << QByteArray("Bearer abc.def") << Invalid;
    QTest::addRow("garbage single word") << QByteArray("Bearer abcdef") << Invalid;
}

void TestTokenVerifier::authorizationHeader()
{
    QFETCH(QByteArray, header);
    QFETCH(int, code);
    ManualClock clock(Now * NsPerS);
    const TokenVerifier verifier(test::testSecret(), clock);
    QCOMPARE(verifyCode(verifier, header), code);
}

// ---- Structure, algorithm, signature ---------------------------------------------------------

void TestTokenVerifier::tokenStructureAndSignature_data()
{
    QTest::addColumn<QByteArray>("token");
    QTest::addColumn<int>("code");

    const QByteArray payload = toJson(validClaims());
    const QByteArray good = makeToken(Hs256Header, payload);
    const QList<QByteArray> parts = good.split('.');
    QCOMPARE(parts.size(), 3);

    QTest::addRow("valid HS256") << good << Ok;
    QTest::addRow("valid HS256 without typ") << makeToken(R"({"alg":"HS256"})", payload) << Ok;
    QTest::addRow("valid HS256 with kid") << makeToken(R"({"alg":"HS256","kid":"k1"})", payload)
                                          << Ok;

    // Algorithms other than exactly "HS256" (RFC 7518 §3.2, RFC 8725 §3.1).
    QTest::addRow("alg none, empty signature")
            << makeToken(R"({"alg":"none","typ":"JWT"})", payload, Sig::None) << Invalid;
    QTest::addRow("alg none, HS256 signature")
            << makeToken(R"({"alg":"none","typ":"JWT"})", payload, Sig::HS256) << Invalid;
    QTest::addRow("alg None, empty signature")
            << makeToken(R"({"alg":"None"})", payload, Sig::None) << Invalid;
    QTest::addRow("alg none, two segments only") << parts[0] + '.' + parts[1] << Invalid;
    QTest::addRow("alg HS384") << makeToken(R"({"alg":"HS384","typ":"JWT"})", payload, Sig::HS384)
                               << Invalid;
    QTest::addRow("alg HS512") << makeToken(R"({"alg":"HS512","typ":"JWT"})", payload, Sig::HS512)
                               << Invalid;
    QTest::addRow("alg RS256 with HMAC signature (key confusion)")
            << makeToken(R"({"alg":"RS256","typ":"JWT"})", payload) << Invalid;
    QTest::addRow("alg hs256 lowercase") << makeToken(R"({"alg":"hs256"})", payload) << Invalid;
    QTest::addRow("alg missing") << makeToken(R"({"typ":"JWT"})", payload) << Invalid;
    QTest::addRow("alg not a string") << makeToken(R"({"alg":256})", payload) << Invalid;
    QTest::addRow("alg null") << makeToken(R"({"alg":null})", payload) << Invalid;
    QTest::addRow("crit header") << makeToken(R"({"alg":"HS256","crit":["b64"],"b64":false})",
                                              payload)
                                 << Invalid;
    QTest::addRow("header is an array") << makeToken(R"(["HS256"])", payload) << Invalid;
    QTest::addRow("header is not JSON") << makeToken("HS256", payload) << Invalid;

    // Signature.
    const QByteArray adminPayload = toJson(with(validClaims(), "role", str("admin")));
    QTest::addRow("tampered payload (role admin)")
            << parts[0] + '.' + b64url(adminPayload) + '.' + parts[2] << Invalid;
    QTest::addRow("tampered header") << b64url(R"({"alg":"HS256","typ":"JWT","x":1})") + '.'
                    + parts[1] + '.' + parts[2]
                                     << Invalid;
    QTest::addRow("signed with another secret")
            << makeToken(Hs256Header, payload, Sig::HS256, "another-secret-0123456789abcdef")
            << Invalid;
    QTest::addRow("signature truncated") << good.chopped(1) << Invalid;
    QTest::addRow("signature with padding") << good + '=' << Invalid;
    QTest::addRow("signature in standard base64")
            << parts[0] + '.' + parts[1] + '.'
                    + QMessageAuthenticationCode::hash(parts[0] + '.' + parts[1],
                                                       test::testSecret(),
                                                       QCryptographicHash::Sha256)
                              .toBase64()
            << Invalid;
    QTest::addRow("signature empty") << parts[0] + '.' + parts[1] + '.' << Invalid;
    // Signature before claims: an expired, badly signed token is 1001, not 1002.
    QTest::addRow("expired and badly signed")
            << makeToken(Hs256Header, toJson(with(validClaims(), "exp", num(Now - 3600))),
                         Sig::HS256, "another-secret")
            << Invalid;

    // Structure.
    QTest::addRow("four segments") << good + ".e30" << Invalid;
    QTest::addRow("empty header segment") << '.' + parts[1] + '.' + parts[2] << Invalid;
    QTest::addRow("empty payload segment") << parts[0] + ".." + parts[2] << Invalid;
    QTest::addRow("dots only") << QByteArray("..") << Invalid;
    QTest::addRow("non-base64url bytes") << QByteArray("\xff\xfe.\x80\x81.\xc3\xa9") << Invalid;
    QTest::addRow("percent in header") << "%" + good << Invalid;
    QTest::addRow("control character") << good.left(5) + '\x01' + good.mid(5) << Invalid;
    QTest::addRow("signed payload not JSON") << makeToken(Hs256Header, "not json") << Invalid;
    QTest::addRow("signed payload is an array") << makeToken(Hs256Header, "[1,2]") << Invalid;
    QTest::addRow("signed payload is a string") << makeToken(Hs256Header, R"("acme")") << Invalid;
    QTest::addRow("signed payload truncated JSON")
            << makeToken(Hs256Header, payload.chopped(1)) << Invalid;
    // RFC 8259: JSON text has no raw NUL; what follows one is not ignored (fuzz_token finding).
    QTest::addRow("signed payload, NUL, then junk")
            << makeToken(Hs256Header, payload + QByteArray("\0\0PPBearer x\"\"", 14)) << Invalid;
    QTest::addRow("signed payload followed by one NUL")
            << makeToken(Hs256Header, payload + QByteArray(1, '\0')) << Invalid;
    QTest::addRow("header followed by NUL and junk")
            << makeToken(Hs256Header + QByteArray("\0{}", 3), payload) << Invalid;
}

void TestTokenVerifier::tokenStructureAndSignature()
{
    QFETCH(QByteArray, token);
    QFETCH(int, code);
    ManualClock clock(Now * NsPerS);
    const TokenVerifier verifier(test::testSecret(), clock);
    QCOMPARE(verifyCode(verifier, bearer(token)), code);
}

// ---- Claims ------------------------------------------------------------------------------

void TestTokenVerifier::claims_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::addColumn<int>("code");
    // Expected principal when code == Ok.
    QTest::addColumn<QString>("tenant");
    QTest::addColumn<QString>("userId");
    QTest::addColumn<bool>("admin");
    QTest::addColumn<QString>("device");
    QTest::addColumn<qint64>("expiresAt");

    const QString acme = QStringLiteral("acme");
    const QString alice = QStringLiteral("alice");
    const Claims base = validClaims();
    auto reject = [](const char *name, const Claims &claims) {
        QTest::addRow("%s", name) << toJson(claims) << Invalid << QString() << QString() << false
                                  << QString() << qint64(0);
    };
    auto accept = [](const char *name, const Claims &claims, const QString &tenant,
                     const QString &userId, bool admin, const QString &device) {
        qint64 exp = 0;
        for (const auto &[claim, value] : claims) {
            if (claim == "exp")
                exp = value.toLongLong();
        }
        QTest::addRow("%s", name) << toJson(claims) << Ok << tenant << userId << admin << device
                                  << exp;
    };

    accept("minimal", base, acme, alice, false, QString());
    accept("extra registered claims ignored",
           with(with(with(base, "iss", str("x")), "aud", str("y")), "jti", str("z")), acme, alice,
           false, QString());

    // Required claims.
    reject("missing tenant", without(base, "tenant"));
    reject("missing sub", without(base, "sub"));
    reject("missing exp", without(base, "exp"));
    reject("empty object", {});
    reject("tenant is a number", with(base, "tenant", "5"));
    reject("tenant is null", with(base, "tenant", "null"));
    reject("tenant is an array", with(base, "tenant", R"(["acme"])"));
    reject("sub is a number", with(base, "sub", "42"));
    reject("sub is an object", with(base, "sub", R"({"id":"alice"})"));

    // exp must be a JSON integer.
    reject("exp as string", with(base, "exp", str(num(Now + 3600))));
    reject("exp as float 1.5e9", with(base, "exp", "1.5e9"));
    reject("exp as float with fraction in the future", with(base, "exp", num(Now + 3600) + ".0"));
    reject("exp as bool", with(base, "exp", "true"));
    reject("exp null", with(base, "exp", "null"));
    reject("exp above int64", with(base, "exp", "18446744073709551615"));
    reject("exp above uint64", with(base, "exp", "99999999999999999999"));
    accept("exp int64 max", with(base, "exp", "9223372036854775807"), acme, alice, false,
           QString());

    // nbf / iat: optional integers.
    reject("nbf as string", with(base, "nbf", str(num(Now))));
    reject("nbf as float", with(base, "nbf", num(Now) + ".5"));
    reject("iat as string", with(base, "iat", str(num(Now))));
    reject("iat as float", with(base, "iat", "1.7e9"));
    reject("iat null", with(base, "iat", "null"));
    accept("nbf and iat now", with(with(base, "nbf", num(Now)), "iat", num(Now)), acme, alice,
           false, QString());

    // role: optional, "subscriber" (default) or "admin", nothing else.
    accept("role subscriber", with(base, "role", str("subscriber")), acme, alice, false, QString());
    accept("role admin", with(base, "role", str("admin")), acme, alice, true, QString());
    reject("role root", with(base, "role", str("root")));
    reject("role Admin (case)", with(base, "role", str("Admin")));
    reject("role empty", with(base, "role", str("")));
    reject("role 5", with(base, "role", "5"));
    reject("role null", with(base, "role", "null"));
    reject("role array", with(base, "role", R"(["admin"])"));
    reject("role true", with(base, "role", "true"));

    // device: optional identifier string.
    accept("device", with(base, "device", str("tv-1")), acme, alice, false,
           QStringLiteral("tv-1"));
    reject("device empty", with(base, "device", str("")));
    reject("device number", with(base, "device", "7"));
    reject("device null", with(base, "device", "null"));
    reject("device 257 bytes", with(base, "device", str(QByteArray(257, 'd'))));
    reject("device with newline", with(base, "device", str("tv\\n1")));

    // Identifier rules of contract §3: 1–256 bytes of UTF-8, no control characters.
    accept("tenant 256 bytes", with(base, "tenant", str(QByteArray(256, 't'))),
           QString(256, u't'), alice, false, QString());
    reject("tenant 257 bytes", with(base, "tenant", str(QByteArray(257, 't'))));
    QByteArray e128;
    for (int i = 0; i < 128; ++i)
        e128 += "\xc3\xa9"; // é: 2 bytes
    accept("tenant 128 x e-acute = 256 bytes", with(base, "tenant", str(e128)),
           QString(128, QChar(0xE9)), alice, false, QString());
    reject("tenant 128 x e-acute + x = 257 bytes", with(base, "tenant", str(e128 + 'x')));
    reject("tenant empty", with(base, "tenant", str("")));
    reject("tenant with control character U+0001", with(base, "tenant", str("ac\\u0001me")));
    reject("tenant with NUL", with(base, "tenant", str("ac\\u0000me")));
    reject("tenant with DEL", with(base, "tenant", str("ac\\u007fme")));
    reject("tenant with tab", with(base, "tenant", str("ac\\tme")));
    reject("tenant with lone surrogate", with(base, "tenant", str("ac\\ud800me")));
    accept("tenant non-ASCII raw UTF-8", with(base, "tenant", str("t\xc3\xabnant")),
           QString::fromUtf8("t\xc3\xabnant"), alice, false, QString());
    accept("tenant non-ASCII JSON escape", with(base, "tenant", str("t\\u00ebnant")),
           QString::fromUtf8("t\xc3\xabnant"), alice, false, QString());
    accept("tenant with slash and plus", with(base, "tenant", str("a/b+c")),
           QStringLiteral("a/b+c"), alice, false, QString());
    reject("sub 257 bytes", with(base, "sub", str(QByteArray(257, 's'))));
    reject("sub with control character", with(base, "sub", str("al\\u001fice")));
    reject("sub empty", with(base, "sub", str("")));

    // 1001 takes precedence over 1002: a malformed token that is also expired is malformed.
    reject("bad role and expired", with(with(base, "role", str("root")), "exp", num(Now - 3600)));
    reject("bad tenant and nbf in future",
           with(with(base, "tenant", str("")), "nbf", num(Now + 3600)));
}

void TestTokenVerifier::claims()
{
    QFETCH(QByteArray, payload);
    QFETCH(int, code);
    QFETCH(QString, tenant);
    QFETCH(QString, userId);
    QFETCH(bool, admin);
    QFETCH(QString, device);
    QFETCH(qint64, expiresAt);

    ManualClock clock(Now * NsPerS);
    const TokenVerifier verifier(test::testSecret(), clock);
    Principal principal;
    QCOMPARE(verifyCode(verifier, bearer(makeToken(Hs256Header, payload)), &principal), code);
    if (code != Ok)
        return;
    QCOMPARE(principal.tenant, tenant);
    QCOMPARE(principal.userId, userId);
    QCOMPARE(principal.isAdmin(), admin);
    QCOMPARE(principal.role, admin ? Principal::Role::Admin : Principal::Role::Subscriber);
    QCOMPARE(principal.device, device);
    QCOMPARE(principal.expiresAt, expiresAt);
}

// ---- Time window (injected clock, 60 s leeway) ---------------------------------------------

void TestTokenVerifier::timeWindow_data()
{
    QTest::addColumn<QByteArray>("claim");   // "exp", "nbf" or "iat"
    QTest::addColumn<qint64>("claimValue");  // seconds since the epoch
    QTest::addColumn<qint64>("nowNs");       // the clock
    QTest::addColumn<int>("code");

    // Contract §1: expired iff now > exp + 60; too early iff nbf (iat) > now + 60.
    auto row = [](const QByteArray &claim, qint64 offsetFromNow, qint64 extraNs) {
        const qint64 value = Now + offsetFromNow;
        const qint64 nowNs = Now * NsPerS + extraNs;
        const long double now = (long double)nowNs / NsPerS;
        const bool outside = claim == "exp" ? now > (long double)(value + Leeway)
                                            : (long double)value > now + Leeway;
        const int code = outside ? Expired : Ok;
        QTest::addRow("%s now%+lld s, clock %+lld ms -> %d", claim.constData(),
                      (long long)offsetFromNow, (long long)(extraNs / 1000000), code)
                << claim << value << nowNs << code;
    };

    for (const qint64 past : {0, 1, 59, 60, 61, 3600, 1700000000 + 1}) // exp in the past
        row("exp", -past, 0);
    row("exp", 1, 0);     // exp in the future
    row("exp", -60, NsPerS / 2); // 60.5 s past: more than 60 s
    row("exp", -59, NsPerS / 2); // 59.5 s past: within
    for (const qint64 future : {0, 59, 60, 61, 3600}) {
        row("nbf", future, 0);
        row("iat", future, 0);
    }
    row("nbf", -3600, 0); // long ago: fine
    row("iat", -3600, 0);
    row("nbf", 61, -NsPerS / 2); // now is 0.5 s earlier: nbf 61.5 s ahead
    row("nbf", 61, NsPerS / 2);  // 60.5 s ahead: still outside
    row("nbf", 60, -NsPerS / 2); // 60.5 s ahead: outside
    row("iat", 60, -NsPerS / 2);
    row("nbf", 60, NsPerS / 2);  // 59.5 s ahead: inside
}

void TestTokenVerifier::timeWindow()
{
    QFETCH(QByteArray, claim);
    QFETCH(qint64, claimValue);
    QFETCH(qint64, nowNs);
    QFETCH(int, code);

    // exp stays far in the future unless it is the claim under test.
    const Claims claims = with(validClaims(), claim, num(claimValue));
    ManualClock clock(nowNs);
    const TokenVerifier verifier(test::testSecret(), clock);
    QCOMPARE(verifyCode(verifier, bearer(signedToken(claims))), code);
}

// ---- TokenIssuer ---------------------------------------------------------------------------

void TestTokenVerifier::roundTrip_data()
{
    QTest::addColumn<QString>("tenant");
    QTest::addColumn<QString>("userId");
    QTest::addColumn<bool>("admin");
    QTest::addColumn<QString>("device");
    QTest::addColumn<qint64>("ttl");

    QTest::addRow("subscriber") << "acme" << "alice" << false << QString() << qint64(3600);
    QTest::addRow("admin with device") << "acme" << "root-user" << true << "tv-1" << qint64(60);
    QTest::addRow("non-ASCII") << QString::fromUtf8("t\xc3\xabnant") << QString::fromUtf8("j\xc3\xbcrgen")
                               << false << QString::fromUtf8("\xe2\x98\x83") << qint64(1);
    QTest::addRow("quotes and slashes") << "a\"b\\c/d" << "u+1 2" << true << QString()
                                        << qint64(86400 * 365);
    QTest::addRow("256-byte ids") << QString(256, u't') << QString(256, u'u') << false
                                  << QString(256, u'd') << qint64(10);
}

void TestTokenVerifier::roundTrip()
{
    QFETCH(QString, tenant);
    QFETCH(QString, userId);
    QFETCH(bool, admin);
    QFETCH(QString, device);
    QFETCH(qint64, ttl);

    ManualClock clock(Now * NsPerS + 123456789); // a fractional second: iat is whole seconds
    const TokenIssuer issuer(test::testSecret(), clock);
    const TokenVerifier verifier(test::testSecret(), clock);
    const auto role = admin ? Principal::Role::Admin : Principal::Role::Subscriber;
    const QByteArray token = issuer.issue(tenant, userId, role, device, ttl);

    Principal p;
    QCOMPARE(verifyCode(verifier, bearer(token), &p), Ok);
    QCOMPARE(p.tenant, tenant);
    QCOMPARE(p.userId, userId);
    QCOMPARE(p.role, role);
    QCOMPARE(p.isAdmin(), admin);
    QCOMPARE(p.device, device);
    QCOMPARE(p.expiresAt, Now + ttl);

    // The token itself, decoded independently: HS256 header, exact claim set.
    const QList<QByteArray> parts = token.split('.');
    QCOMPARE(parts.size(), 3);
    const QJsonObject header = QJsonDocument::fromJson(
            QByteArray::fromBase64(parts[0], QByteArray::Base64UrlEncoding)).object();
    QCOMPARE(header.value(u"alg").toString(), QStringLiteral("HS256"));
    QCOMPARE(parts[2],
             b64url(QMessageAuthenticationCode::hash(parts[0] + '.' + parts[1], test::testSecret(),
                                                     QCryptographicHash::Sha256)));
    const QJsonObject claims = QJsonDocument::fromJson(
            QByteArray::fromBase64(parts[1], QByteArray::Base64UrlEncoding)).object();
    QStringList expectedKeys{QStringLiteral("exp"), QStringLiteral("iat"), QStringLiteral("sub"),
                             QStringLiteral("tenant")};
    if (admin)
        expectedKeys << QStringLiteral("role");
    if (!device.isEmpty())
        expectedKeys << QStringLiteral("device");
    expectedKeys.sort();
    QCOMPARE(claims.keys(), expectedKeys);
    QCOMPARE(claims.value(u"tenant").toString(), tenant);
    QCOMPARE(claims.value(u"sub").toString(), userId);
    if (admin)
        QCOMPARE(claims.value(u"role").toString(), QStringLiteral("admin"));
    if (!device.isEmpty())
        QCOMPARE(claims.value(u"device").toString(), device);
    const QByteArray payloadJson = QByteArray::fromBase64(parts[1], QByteArray::Base64UrlEncoding);
    QVERIFY2(payloadJson.contains("\"iat\":" + num(Now)), payloadJson.constData());
    QVERIFY2(payloadJson.contains("\"exp\":" + num(Now + ttl)), payloadJson.constData());
}

void TestTokenVerifier::issuedTokenExpiry_data()
{
    QTest::addColumn<qint64>("ttl");
    QTest::addColumn<qint64>("advanceSeconds");
    QTest::addColumn<int>("code");

    // Contract: expired iff now > exp + 60, with exp = issue time + ttl.
    for (const qint64 ttl : {1, 100}) {
        for (const qint64 advance : {qint64(0), ttl, ttl + Leeway, ttl + Leeway + 1}) {
            QTest::addRow("ttl %lld, +%lld s", (long long)ttl, (long long)advance)
                    << ttl << advance << (Now + advance > Now + ttl + Leeway ? Expired : Ok);
        }
    }
}

void TestTokenVerifier::issuedTokenExpiry()
{
    QFETCH(qint64, ttl);
    QFETCH(qint64, advanceSeconds);
    QFETCH(int, code);

    ManualClock clock(Now * NsPerS);
    const TokenIssuer issuer(test::testSecret(), clock);
    const TokenVerifier verifier(test::testSecret(), clock);
    const QByteArray token = issuer.issue("acme", "alice", Principal::Role::Subscriber, {}, ttl);
    clock.advanceSeconds(double(advanceSeconds));
    QCOMPARE(verifyCode(verifier, bearer(token)), code);
}

void TestTokenVerifier::issueRejectsBadArguments_data()
{
    QTest::addColumn<QByteArray>("secret");
    QTest::addColumn<QString>("tenant");
    QTest::addColumn<QString>("userId");
    QTest::addColumn<QString>("device");
    QTest::addColumn<qint64>("ttl");
    QTest::addColumn<int>("code");

    const QByteArray s = test::testSecret();
    const int badParameter = int(ErrorCode::InvalidParameter);
    QTest::addRow("empty tenant") << s << QString() << "alice" << QString() << qint64(60)
                                  << badParameter;
    QTest::addRow("empty user") << s << "acme" << QString() << QString() << qint64(60)
                                << badParameter;
    QTest::addRow("tenant 257 bytes") << s << QString(257, u't') << "alice" << QString()
                                      << qint64(60) << badParameter;
    QTest::addRow("device with control character") << s << "acme" << "alice" << "tv\n1"
                                                   << qint64(60) << badParameter;
    QTest::addRow("ttl 0") << s << "acme" << "alice" << QString() << qint64(0) << badParameter;
    QTest::addRow("ttl negative") << s << "acme" << "alice" << QString() << qint64(-5)
                                  << badParameter;
    QTest::addRow("ttl overflows") << s << "acme" << "alice" << QString()
                                   << std::numeric_limits<qint64>::max() << badParameter;
    QTest::addRow("empty secret") << QByteArray() << "acme" << "alice" << QString() << qint64(60)
                                  << int(ErrorCode::Internal);
}

void TestTokenVerifier::issueRejectsBadArguments()
{
    QFETCH(QByteArray, secret);
    QFETCH(QString, tenant);
    QFETCH(QString, userId);
    QFETCH(QString, device);
    QFETCH(qint64, ttl);
    QFETCH(int, code);

    ManualClock clock(Now * NsPerS);
    const TokenIssuer issuer(secret, clock);
    try {
        issuer.issue(tenant, userId, Principal::Role::Subscriber, device, ttl);
        QFAIL("issue() accepted bad arguments");
    } catch (const ApiError &e) {
        QCOMPARE(int(e.code()), code);
    }
}

// ---- Robustness ----------------------------------------------------------------------------

void TestTokenVerifier::emptySecretFailsClosed()
{
    ManualClock clock(Now * NsPerS);
    const TokenVerifier verifier(QByteArray(), clock);
    // A token "signed" with the empty key must not be accepted by a verifier without a secret.
    const QByteArray token = makeToken(Hs256Header, toJson(validClaims()), Sig::HS256, QByteArray());
    QCOMPARE(verifyCode(verifier, bearer(token)), Invalid);
}

void TestTokenVerifier::mutatedTokensOnlyThrowApiError()
{
    // Every single-byte substitution / truncation of a valid token must be refused with 1000 or
    // 1001 (the signature covers the exact encoded text, so no mutation is harmless);
    // verifyCode() lets any exception other than ApiError escape and fail the test.
    ManualClock clock(Now * NsPerS);
    const TokenVerifier verifier(test::testSecret(), clock);
    const QByteArray good = signedToken(with(validClaims(), "device", str("tv")));
    const char replacements[] = {'A', '_', '-', '.', '=', '+', '/', ' ', '\0', '\x7f', '\x80', '\xff'};
    QRandomGenerator random(42);
    int checked = 0;
    for (qsizetype i = 0; i < good.size(); ++i) {
        for (const char r : replacements) {
            if (good[i] == r)
                continue;
            QByteArray mutated = good;
            mutated[i] = r;
            const int code = verifyCode(verifier, bearer(mutated));
            QVERIFY2(code == Invalid || code == Missing,
                     qPrintable(QStringLiteral("position %1 -> %2").arg(i).arg(code)));
            ++checked;
        }
        const int code = verifyCode(verifier, bearer(good.left(i)));
        QVERIFY(code == Invalid || code == Missing);
    }
    // Random garbage built from the token alphabet plus a few dots.
    const QByteArray alphabet = "ABCxyz019-_.......";
    for (int n = 0; n < 2000; ++n) {
        QByteArray garbage;
        const int len = int(random.bounded(1, 80));
        for (int k = 0; k < len; ++k)
            garbage += alphabet[random.bounded(alphabet.size())];
        const int code = verifyCode(verifier, bearer(garbage));
        QVERIFY(code == Invalid || code == Missing);
    }
    QVERIFY(checked > 1000);
}

// ---- Cache of verified tokens -------------------------------------------------------------

void TestTokenVerifier::cachedTimeWindow_data()
{
    timeWindow_data(); // the same table: a cached token must expire exactly like a fresh one
}

void TestTokenVerifier::cachedTimeWindow()
{
    QFETCH(QByteArray, claim);
    QFETCH(qint64, claimValue);
    QFETCH(qint64, nowNs);
    QFETCH(int, code);

    const QByteArray header = bearer(signedToken(with(validClaims(), claim, num(claimValue))));
    // Cached at a moment the token is valid (exp == now, or nbf / iat == now), then asked again
    // at the row's time: answered from the cache, with the row's code.
    ManualClock clock(claimValue * NsPerS);
    const TokenVerifier verifier(test::testSecret(), clock, 64);
    QCOMPARE(verifyCode(verifier, header), Ok);
    QCOMPARE(verifier.cachedTokens(), 1);
    QCOMPARE(verifier.cacheHits(), quint64(0));
    clock.setNowNs(nowNs);
    QCOMPARE(verifyCode(verifier, header), code);
    QCOMPARE(verifier.cacheHits(), quint64(1));
    // Back to the caching moment: valid again (nothing about the token changed).
    clock.setNowNs(claimValue * NsPerS);
    QCOMPARE(verifyCode(verifier, header), Ok);
    QCOMPARE(verifier.cacheHits(), quint64(2));
}

void TestTokenVerifier::cacheKeyIsTheWholeToken_data()
{
    QTest::addColumn<QByteArray>("header"); // sent after the valid token was cached
    QTest::addColumn<int>("code");
    QTest::addColumn<bool>("hit");          // answered from the cache

    const QByteArray token = signedToken(validClaims());
    QByteArray otherSignature = token;
    otherSignature[otherSignature.size() - 2] = otherSignature.at(otherSignature.size() - 2) == 'A' ? 'B' : 'A';
    const QByteArray payloadOnly = token.left(token.lastIndexOf('.') + 1);

    QTest::addRow("same token") << bearer(token) << Ok << true;
    QTest::addRow("same token, scheme in lower case, extra spaces") << "bearer   " + token + "  " << Ok << true;
    QTest::addRow("one signature byte changed") << bearer(otherSignature) << Invalid << false;
    QTest::addRow("empty signature") << bearer(payloadOnly) << Invalid << false;
    QTest::addRow("a byte appended") << bearer(token + 'A') << Invalid << false;
    QTest::addRow("last byte dropped") << bearer(token.chopped(1)) << Invalid << false;
    QTest::addRow("a second token after it") << bearer(token + ' ' + token) << Invalid << false;
    QTest::addRow("signed with another secret")
        << bearer(makeToken(Hs256Header, toJson(validClaims()), Sig::HS256, "another-secret")) << Invalid << false;
    QTest::addRow("other scheme") << "Basic " + token << Missing << false;
}

void TestTokenVerifier::cacheKeyIsTheWholeToken()
{
    QFETCH(QByteArray, header);
    QFETCH(int, code);
    QFETCH(bool, hit);

    ManualClock clock(Now * NsPerS);
    const TokenVerifier verifier(test::testSecret(), clock, 1024);
    Principal principal;
    QCOMPARE(verifyCode(verifier, bearer(signedToken(validClaims())), &principal), Ok);
    QCOMPARE(verifier.cacheHits(), quint64(0));
    QCOMPARE(verifyCode(verifier, header, &principal), code);
    QCOMPARE(verifier.cacheHits(), quint64(hit ? 1 : 0));
    QCOMPARE(verifier.cachedTokens(), 1); // failures are never cached
    if (code == Ok) {
        QCOMPARE(principal.tenant, QStringLiteral("acme"));
        QCOMPARE(principal.userId, QStringLiteral("alice"));
        QCOMPARE(principal.expiresAt, Now + 3600);
    }
}

void TestTokenVerifier::cacheIsBounded_data()
{
    QTest::addColumn<int>("capacity");
    QTest::addColumn<int>("slotCount");   // capacity rounded up to a power of two
    QTest::addColumn<int>("tokens");  // distinct valid tokens verified, twice each

    QTest::addRow("no cache") << 0 << 0 << 50;
    QTest::addRow("1 slot") << 1 << 1 << 50;
    QTest::addRow("5 -> 8 slots") << 5 << 8 << 200;
    QTest::addRow("more slotCount than tokens") << 1000 << 1024 << 100;
}

void TestTokenVerifier::cacheIsBounded()
{
    QFETCH(int, capacity);
    QFETCH(int, slotCount);
    QFETCH(int, tokens);

    ManualClock clock(Now * NsPerS);
    const TokenVerifier verifier(test::testSecret(), clock, capacity);
    QCOMPARE(verifier.cacheCapacity(), slotCount);
    QList<QByteArray> headers;
    for (int i = 0; i < tokens; ++i)
        headers << bearer(signedToken(with(validClaims(), "sub", str("user-" + QByteArray::number(i)))));
    for (int round = 0; round < 2; ++round) {
        for (int i = 0; i < tokens; ++i) {
            Principal principal;
            QCOMPARE(verifyCode(verifier, headers[i], &principal), Ok);
            QCOMPARE(principal.userId, QStringLiteral("user-%1").arg(i)); // never another slot's user
            QVERIFY(verifier.cachedTokens() <= slotCount);
        }
    }
    QVERIFY(verifier.cachedTokens() <= std::min(slotCount, tokens));
    if (slotCount == 0)
        QCOMPARE(verifier.cacheHits(), quint64(0));
    if (slotCount >= 2 * tokens) // rarely a collision; at least most of the second round hits
        QVERIFY(verifier.cacheHits() >= quint64(tokens / 2));
}

void TestTokenVerifier::cacheUnderConcurrentCallers()
{
    // Few slots, many tokens, four threads: slots are replaced while others read them. Every
    // answer must still be the caller's own token (run under TSan by scripts/sanitize.sh).
    ManualClock clock(Now * NsPerS);
    const TokenVerifier verifier(test::testSecret(), clock, 8);
    QList<QByteArray> headers;
    for (int i = 0; i < 40; ++i)
        headers << bearer(signedToken(with(validClaims(), "sub", str("user-" + QByteArray::number(i)))));
    std::atomic<int> wrong{0};
    std::atomic<int> failed{0};
    QList<QThread *> threads;
    for (int t = 0; t < 4; ++t) {
        threads << QThread::create([&, t] {
            for (int n = 0; n < 2000; ++n) {
                const int i = (n * 7 + t * 13) % int(headers.size());
                try {
                    if (verifier.verify(headers[i]).userId != QStringLiteral("user-%1").arg(i))
                        ++wrong;
                } catch (const ApiError &) {
                    ++failed;
                }
            }
        });
        threads.last()->start();
    }
    for (QThread *thread : std::as_const(threads)) {
        QVERIFY(thread->wait(60000));
        delete thread;
    }
    QCOMPARE(wrong.load(), 0);
    QCOMPARE(failed.load(), 0);
    QVERIFY(verifier.cachedTokens() <= 8);
    QVERIFY(verifier.cacheHits() > 0);
}

QTEST_GUILESS_MAIN(TestTokenVerifier)
#include "tst_tokenverifier.moc"
