#pragma once

#include <QByteArray>
#include <QList>
#include <QString>
#include <QtGlobal>

namespace oxm::fuzz {

/// The HS256 secret of both fuzz targets (the seed tokens in tests/fuzz/corpus are signed with it).
QByteArray secret();

/// The fuzz targets' fixed "now" (a ManualClock): 2023-11-14T22:13:20Z.
constexpr qint64 NowSeconds = 1700000000;
constexpr qint64 NowNs = NowSeconds * 1000000000LL;

/// A token the request fuzzer can use by a short marker: every "@T<n>@" in an input is replaced
/// by token n before the bytes are sent, so mutations keep valid signatures (libFuzzer's
/// dictionary entries are at most 64 bytes, a token is longer).
struct NamedToken
{
    QByteArray marker;      ///< "@T0@" ...
    QByteArray token;       ///< the compact JWT
    QString description;    ///< what it is, for the README and the corpus generator
};

/// Tokens T0..T9 (see fuzzsupport.cpp): valid subscriber/admin/device-bound tokens of the
/// registered tenant, a token of an unregistered tenant, one of a tenant and user with
/// percent, slash and non-ASCII characters, and tokens that must be refused (expired, not yet
/// valid, alg "none", bad signature, exp of the wrong type).
const QList<NamedToken> &tokens();

/// `input` with every token marker replaced by its token.
QByteArray expandTokens(const QByteArray &input);

/// base64url without padding (RFC 4648 §5).
QByteArray base64Url(const QByteArray &data);
/// A compact JWS over the given header and payload JSON texts, signed HS256 with `key`
/// (QMessageAuthenticationCode), whatever the header says.
QByteArray signHs256(const QByteArray &headerJson, const QByteArray &payloadJson, const QByteArray &key);

/// Prints `what` and `detail` (escaped) to stderr and aborts: libFuzzer records the input.
[[noreturn]] void fail(const char *what, const QByteArray &detail = {});

/// Silences Qt's debug/info/warning output (one line per request would dominate the run) unless
/// OXM_FUZZ_VERBOSE is set; qFatal still aborts.
void installMessageHandler();

} // namespace oxm::fuzz
