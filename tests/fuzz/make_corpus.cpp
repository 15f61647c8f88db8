// Writes the seed corpora of the fuzz targets:
//   fuzz_make_corpus DIR     -> DIR/fuzz_request/*.http, DIR/fuzz_token/*.tok
// The repository keeps the output in tests/fuzz/corpus; rerun after changing fuzzsupport's
// tokens or adding a seed here (files of the same name are overwritten, others are kept, so
// regression inputs added by hand stay).

#include "fuzzsupport.h"

#include <QByteArrayList>
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QList>
#include <QPair>
#include <cstdio>

using namespace oxm;

namespace {

using Headers = QList<QPair<QByteArray, QByteArray>>;

/// One HTTP/1.1 request as it goes on the wire. `token` is a marker such as "@T0@" (expanded by
/// fuzz_request) or a literal token; empty for no Authorization header.
QByteArray request(const QByteArray &method, const QByteArray &target, const QByteArray &token = {},
                   const QByteArray &body = {}, const Headers &headers = {})
{
    QByteArray bytes = method + ' ' + target + " HTTP/1.1\r\nHost: oxm.test\r\n";
    if (!token.isEmpty())
        bytes += "Authorization: Bearer " + token + "\r\n";
    for (const auto &[name, value] : headers)
        bytes += name + ": " + value + "\r\n";
    if (!body.isEmpty() || method == "PUT")
        bytes += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    return bytes + "\r\n" + body;
}

QList<QPair<QByteArray, QByteArray>> requestSeeds()
{
    const QByteArray api = "/oxm/v1";
    const QByteArray policy = R"({"maxPerUser":3,"maxPerAsset":2,"maxDevices":2})";
    QList<QPair<QByteArray, QByteArray>> s;
    // Every endpoint, valid.
    s << qMakePair("healthz", request("GET", "/healthz"));
    s << qMakePair("healthz-api-head", request("HEAD", api + "/healthz"));
    s << qMakePair("policy-get", request("GET", api + "/streampolicy/acme", "@T0@"));
    s << qMakePair("policy-put-admin", request("PUT", api + "/streampolicy/acme", "@T1@", policy));
    s << qMakePair("policy-put-tricky-tenant", request("PUT", api + "/streampolicy/%C3%BCmlaut%2Ft", "@T4@",
                                                       R"({"maxPerUser":0,"maxPerAsset":5.0,"maxDevices":1})"));
    s << qMakePair("policy-get-tricky-tenant-head", request("HEAD", api + "/streampolicy/%C3%BCmlaut%2Ft", "@T4@"));
    s << qMakePair("streaming-progress", request("PUT", api + "/streams/a1/streaming?device=tv&progress=120", "@T0@"));
    s << qMakePair("streaming-device-claim", request("PUT", api + "/streams/ep%2F1/streaming", "@T2@"));
    s << qMakePair("streaming-by-ip", request("PUT", api + "/streams/a2/streaming?progress=5", "@T3@"));
    s << qMakePair("stopped-progress", request("PUT", api + "/streams/a1/stopped?device=tv&progress=130", "@T0@"));
    s << qMakePair("resume-get", request("GET", api + "/streams/a1", "@T0@"));
    s << qMakePair("resume-delete", request("DELETE", api + "/streams/a1", "@T0@"));
    s << qMakePair("history", request("GET", api + "/streams/history", "@T0@"));
    s << qMakePair("counts", request("GET", api + "/streams/counts", "@T2@"));
    s << qMakePair("counts-by-device", request("GET", api + "/streams/counts?include=device", "@T0@"));
    s << qMakePair("towatch-put", request("PUT", api + "/towatch/a1", "@T0@"));
    s << qMakePair("towatch-put-non-ascii", request("PUT", api + "/towatch/%C3%A9t%C3%A9%20+x", "@T0@"));
    s << qMakePair("towatch-list", request("GET", api + "/towatch", "@T0@"));
    s << qMakePair("towatch-full", request("GET", api + "/towatch?full=true", "@T0@"));
    s << qMakePair("towatch-delete", request("DELETE", api + "/towatch/a1", "@T0@"));
    // A literal token instead of a marker.
    s << qMakePair("literal-token", request("GET", api + "/streams/history", fuzz::tokens().at(0).token));
    // Pipelined sessions.
    s << qMakePair("pipeline-watch-session",
                   request("PUT", api + "/towatch/a1", "@T0@") + request("PUT", api + "/towatch/ep%2F1", "@T0@")
                       + request("GET", api + "/towatch?full=true", "@T0@") + request("DELETE", api + "/towatch/a1", "@T0@"));
    s << qMakePair("pipeline-streams-session",
                   request("PUT", api + "/streams/a1/streaming?progress=1", "@T0@")
                       + request("GET", api + "/streams/a1", "@T0@")
                       + request("GET", api + "/streams/counts?include=device", "@T0@")
                       + request("PUT", api + "/streams/a1/stopped?progress=2", "@T0@")
                       + request("GET", api + "/streams/history", "@T0@"));
    s << qMakePair("pipeline-admission-refused",
                   request("PUT", api + "/streams/a1/streaming?device=d1", "@T0@")
                       + request("PUT", api + "/streams/a2/streaming?device=d2", "@T0@")
                       + request("PUT", api + "/streams/a3/streaming?device=d3", "@T0@"));
    s << qMakePair("pipeline-next-episode",
                   request("PUT", api + "/streams/s1e1/streaming", "@T2@")
                       + request("PUT", api + "/streams/s1e2/streaming", "@T2@")
                       + request("GET", api + "/streams/counts", "@T2@"));
    // API errors.
    s << qMakePair("no-token", request("GET", api + "/streams/history"));
    s << qMakePair("basic-scheme", request("GET", api + "/towatch", {}, {}, {{"Authorization", "Basic YTpi"}}));
    for (int i = 5; i <= 9; ++i)
        s << qMakePair("token-refused-T" + QByteArray::number(i),
                       request("GET", api + "/streams/history", "@T" + QByteArray::number(i) + '@'));
    s << qMakePair("policy-other-tenant", request("GET", api + "/streampolicy/acme", "@T3@"));
    s << qMakePair("policy-unregistered", request("GET", api + "/streampolicy/globex", "@T3@"));
    s << qMakePair("policy-put-subscriber", request("PUT", api + "/streampolicy/acme", "@T0@", policy));
    s << qMakePair("policy-put-not-object", request("PUT", api + "/streampolicy/acme", "@T1@", "[1,2]"));
    s << qMakePair("policy-put-inconsistent", request("PUT", api + "/streampolicy/acme", "@T1@",
                                                      R"({"maxPerUser":1,"maxPerAsset":2,"maxDevices":0,"x":null})"));
    s << qMakePair("policy-put-bad-number", request("PUT", api + "/streampolicy/acme", "@T1@",
                                                    R"({"maxPerUser":1e400,"maxPerAsset":-1,"maxDevices":"2"})"));
    s << qMakePair("streaming-device-mismatch", request("PUT", api + "/streams/a1/streaming?device=phone", "@T2@"));
    s << qMakePair("streaming-bad-progress", request("PUT", api + "/streams/a1/streaming?progress=%2B5", "@T0@"));
    s << qMakePair("streaming-repeated-param", request("PUT", api + "/streams/a1/streaming?progress=1&progress=2", "@T0@"));
    s << qMakePair("streaming-reserved", request("PUT", api + "/streams/history", "@T0@"));
    s << qMakePair("streaming-empty-asset", request("PUT", api + "/streams//streaming", "@T0@"));
    s << qMakePair("towatch-bad-full", request("GET", api + "/towatch?full=yes", "@T0@"));
    s << qMakePair("towatch-control-char", request("PUT", api + "/towatch/a%01b", "@T0@"));
    s << qMakePair("query-bad-utf8", request("GET", api + "/towatch?full=%FF", "@T0@"));
    s << qMakePair("method-not-allowed", request("POST", api + "/towatch", "@T0@", "{}"));
    s << qMakePair("unknown-route", request("GET", api + "/nope/x", "@T0@"));
    // Front door.
    s << qMakePair("chunked-body", QByteArray("PUT " + api + "/streampolicy/acme HTTP/1.1\r\nHost: x\r\n"
                                              "Authorization: Bearer @T1@\r\nTransfer-Encoding: chunked\r\n\r\n"
                                              "10\r\n{\"maxPerUser\":3,\r\n"
                                              "20\r\n\"maxPerAsset\":1,\"maxDevices\":0}\r\n0\r\n\r\n"));
    s << qMakePair("expect-continue", request("PUT", api + "/streampolicy/acme", "@T1@", policy,
                                              {{"Expect", "100-continue"}}));
    s << qMakePair("connection-close-pipelined",
                   request("GET", "/healthz", {}, {}, {{"Connection", "close"}}) + request("GET", "/healthz"));
    s << qMakePair("http10", QByteArray("GET /healthz HTTP/1.0\r\n\r\n"));
    s << qMakePair("http20", QByteArray("GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n"));
    s << qMakePair("bare-lf", QByteArray("GET /healthz HTTP/1.1\nHost: x\n\n"));
    s << qMakePair("body-too-large", request("PUT", api + "/towatch/a1", "@T0@", {}, {{"Content-Length", "999999"}}));
    s << qMakePair("double-slash", request("GET", "//oxm/v1/towatch", "@T0@"));
    s << qMakePair("bad-escape", request("GET", api + "/towatch/%zz", "@T0@"));
    s << qMakePair("target-too-long", request("GET", api + "/towatch/" + QByteArray(1100, 'a'), "@T0@"));
    s << qMakePair("headers-too-large", request("GET", "/healthz", {}, {}, {{"X-Pad", QByteArray(2100, 'p')}}));
    s << qMakePair("space-before-colon", QByteArray("GET /healthz HTTP/1.1\r\nHost : x\r\n\r\n"));
    s << qMakePair("content-length-and-chunked",
                   QByteArray("PUT /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                              "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"));
    s << qMakePair("forwarded-for", request("PUT", api + "/streams/a1/streaming", "@T0@", {},
                                            {{"X-Forwarded-For", "203.0.113.7, 10.0.0.1"}}));
    return s;
}

QList<QPair<QByteArray, QByteArray>> tokenSeeds()
{
    QList<QPair<QByteArray, QByteArray>> s;
    // Mode 0: the raw Authorization header.
    for (qsizetype i = 0; i < fuzz::tokens().size(); ++i)
        s << qMakePair("raw-T" + QByteArray::number(i), "0Bearer " + fuzz::tokens().at(i).token);
    s << qMakePair("raw-lowercase-scheme", "0bearer " + fuzz::tokens().at(0).token);
    s << qMakePair("raw-two-tokens", "0Bearer " + fuzz::tokens().at(0).token + " x");
    s << qMakePair("raw-basic", QByteArray("0Basic YWxhZGRpbjpvcGVuc2VzYW1l"));
    s << qMakePair("raw-bearer-only", QByteArray("0Bearer"));
    s << qMakePair("raw-empty-segments", QByteArray("0Bearer a..c"));
    s << qMakePair("raw-not-base64", QByteArray("0Bearer e30.e30.%%%"));
    // Mode 1: header and payload JSON, signed by the target.
    const QByteArray now = QByteArray::number(fuzz::NowSeconds);
    const QByteArray later = QByteArray::number(fuzz::NowSeconds + 3600);
    const QByteArray valid = R"({"tenant":"acme","sub":"alice","exp":)" + later + '}';
    s << qMakePair("signed-minimal", "1" + valid);
    s << qMakePair("signed-all-claims", "1{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"k\"}\n"
                                        R"({"tenant":"acme","sub":"root","role":"admin","device":"tv-1","nbf":)"
                                            + now + R"(,"iat":)" + now + R"(,"exp":)" + later + '}');
    s << qMakePair("signed-subscriber-role", "1" R"({"tenant":"t","sub":"u","role":"subscriber","exp":)" + later + '}');
    s << qMakePair("signed-unicode-ids", "1" R"({"tenant":"\u00fcmlaut/t","sub":"d%2Fave+x","device":"\ud83d\ude00","exp":)"
                                            + later + '}');
    s << qMakePair("signed-crit", "1{\"alg\":\"HS256\",\"crit\":[\"exp\"]}\n" + valid);
    s << qMakePair("signed-alg-lowercase", "1{\"alg\":\"hs256\"}\n" + valid);
    s << qMakePair("signed-alg-none", "1{\"alg\":\"none\"}\n" + valid);
    s << qMakePair("signed-alg-number", "1{\"alg\":256}\n" + valid);
    s << qMakePair("signed-exp-float", "1" R"({"tenant":"acme","sub":"alice","exp":1.8e9})");
    s << qMakePair("signed-exp-string", "1" R"({"tenant":"acme","sub":"alice","exp":"1800000000"})");
    s << qMakePair("signed-exp-huge", "1" R"({"tenant":"acme","sub":"alice","exp":18446744073709551615})");
    s << qMakePair("signed-exp-negative", "1" R"({"tenant":"acme","sub":"alice","exp":-9223372036854775808})");
    s << qMakePair("signed-expired", "1" R"({"tenant":"acme","sub":"alice","exp":)" + QByteArray::number(fuzz::NowSeconds - 61) + '}');
    s << qMakePair("signed-iat-future", "1" R"({"tenant":"acme","sub":"alice","iat":)"
                                            + QByteArray::number(fuzz::NowSeconds + 61) + R"(,"exp":)" + later + '}');
    s << qMakePair("signed-nbf-float", "1" R"({"tenant":"acme","sub":"alice","nbf":1.5,"exp":)" + later + '}');
    s << qMakePair("signed-tenant-number", "1" R"({"tenant":7,"sub":"alice","exp":)" + later + '}');
    s << qMakePair("signed-tenant-control", "1" R"({"tenant":"a\u0000b","sub":"alice","exp":)" + later + '}');
    s << qMakePair("signed-role-other", "1" R"({"tenant":"acme","sub":"alice","role":"root","exp":)" + later + '}');
    s << qMakePair("signed-duplicate-claim", "1" R"({"tenant":"acme","sub":"alice","exp":1,"exp":)" + later + '}');
    s << qMakePair("signed-payload-array", QByteArray("1[1,2,3]"));
    // Mode 2: issue, then verify.
    s << qMakePair("issue-subscriber", QByteArray("2acme\nalice\n\n3600\n"));
    s << qMakePair("issue-admin-device", QByteArray("2acme\nroot\ntv-1\n60\nadmin"));
    s << qMakePair("issue-unicode", QByteArray("2\xC3\xBCmlaut/t\nd%2Fave+x\n\xF0\x9F\x98\x80\n1\nadmin"));
    s << qMakePair("issue-invalid", QByteArray("2\n\x01\n\n0\n"));
    return s;
}

bool writeAll(const QString &dir, const QList<QPair<QByteArray, QByteArray>> &seeds, const char *suffix)
{
    if (!QDir().mkpath(dir))
        return false;
    for (const auto &[name, bytes] : seeds) {
        QFile file(dir + QLatin1Char('/') + QString::fromLatin1(name) + QLatin1String(suffix));
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(bytes) != bytes.size())
            return false;
    }
    std::printf("%lld seeds in %s\n", static_cast<long long>(seeds.size()), qPrintable(dir));
    return true;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    const QString root = QString::fromLocal8Bit(argv[1]);
    if (!writeAll(root + QStringLiteral("/fuzz_request"), requestSeeds(), ".http")
        || !writeAll(root + QStringLiteral("/fuzz_token"), tokenSeeds(), ".tok")) {
        std::fprintf(stderr, "cannot write the corpus under %s\n", argv[1]);
        return 1;
    }
    for (const fuzz::NamedToken &t : fuzz::tokens())
        std::printf("%s %s\n", t.marker.constData(), qPrintable(t.description));
    return 0;
}
