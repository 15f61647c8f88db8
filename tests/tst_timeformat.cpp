// Unit tests of the RFC 3339 formatters (core/timeformat.h; contract §5, §6) and of the
// identifier rules (domain/identifiers.h; contract §3).
//
// Every expected value below was computed by hand from the calendar, not taken from the program:
//  - 1556219181 s = 18011 days + 68781 s; 1970-01-01 + 18011 days = 2019-04-25 (2019-01-01 is day
//    17897 = 49*365 + 12 leap days; 18011 - 17897 = 114 = 31+28+31 + 24), 68781 s = 19:06:21.
//  - 1700000000 s = 19675 days + 80000 s = 2023-11-14 22:13:20.
//  - 1582977600 s = 18321 days + 43200 s = 2020-02-29 12:00:00 (2020-01-01 is day 18262).
//  - -58060800 s = -672 days: 1969 has 365 days, 1968 (leap) has 307 days from Feb 29 on.
//  - INT64_MAX ns = 9223372036 s (106751 days + 85636 s = 2262-04-11 23:47:16) + .854775807.
// Negative instants are floored to the earlier second, so the fraction is always 0..999999999.

#include "core/timeformat.h"
#include "domain/identifiers.h"

#include <QRegularExpression>
#include <QTest>
#include <limits>

using namespace oxm;

class TestTimeFormat : public QObject
{
    Q_OBJECT

    static void rfc3339_data();

private Q_SLOTS:
    void rfc3339Nanos_data() { rfc3339_data(); }
    void rfc3339Nanos();
    void rfc3339Seconds_data() { rfc3339_data(); }
    void rfc3339Seconds();
    void nanosHasFixedShape_data();
    void nanosHasFixedShape();

    void validIdentifier_data();
    void validIdentifier();
    void isValidIdentifier_data();
    void isValidIdentifier();
};

void TestTimeFormat::rfc3339_data()
{
    QTest::addColumn<qint64>("ns");
    QTest::addColumn<QString>("nanos");
    QTest::addColumn<QString>("seconds");

    constexpr qint64 S = 1000000000LL;
    QTest::addRow("epoch") << qint64(0)
                           << "1970-01-01T00:00:00.000000000Z" << "1970-01-01T00:00:00Z";
    QTest::addRow("seed example") << qint64(1556219181577870309LL)
                                  << "2019-04-25T19:06:21.577870309Z" << "2019-04-25T19:06:21Z";
    QTest::addRow("1 ns after epoch") << qint64(1)
                                      << "1970-01-01T00:00:00.000000001Z" << "1970-01-01T00:00:00Z";
    QTest::addRow("leading zeros: 1 s + 1 ns") << qint64(S + 1)
                                               << "1970-01-01T00:00:01.000000001Z" << "1970-01-01T00:00:01Z";
    QTest::addRow("leading zeros: 50 ns") << qint64(1556219181LL * S + 50)
                                          << "2019-04-25T19:06:21.000000050Z" << "2019-04-25T19:06:21Z";
    QTest::addRow("leading zeros: 5 us, next day") << qint64(86400LL * S + 5000)
                                                   << "1970-01-02T00:00:00.000005000Z" << "1970-01-02T00:00:00Z";
    QTest::addRow("whole second") << qint64(1556219181LL * S)
                                  << "2019-04-25T19:06:21.000000000Z" << "2019-04-25T19:06:21Z";
    QTest::addRow("seconds truncates, never rounds") << qint64(1556219181LL * S + 999999999)
                                                     << "2019-04-25T19:06:21.999999999Z" << "2019-04-25T19:06:21Z";
    QTest::addRow("ManualClock default start + 123 ms") << qint64(1700000000LL * S + 123000000)
                                                        << "2023-11-14T22:13:20.123000000Z" << "2023-11-14T22:13:20Z";
    QTest::addRow("leap day 2020") << qint64(1582977600LL * S)
                                   << "2020-02-29T12:00:00.000000000Z" << "2020-02-29T12:00:00Z";
    QTest::addRow("2^31 s") << qint64(2147483648LL * S)
                            << "2038-01-19T03:14:08.000000000Z" << "2038-01-19T03:14:08Z";
    QTest::addRow("int64 max") << std::numeric_limits<qint64>::max()
                               << "2262-04-11T23:47:16.854775807Z" << "2262-04-11T23:47:16Z";
    QTest::addRow("-1 ns") << qint64(-1)
                           << "1969-12-31T23:59:59.999999999Z" << "1969-12-31T23:59:59Z";
    QTest::addRow("-1 s") << qint64(-S)
                          << "1969-12-31T23:59:59.000000000Z" << "1969-12-31T23:59:59Z";
    QTest::addRow("-1.5 s") << qint64(-1500000000LL)
                            << "1969-12-31T23:59:58.500000000Z" << "1969-12-31T23:59:58Z";
    QTest::addRow("-1 s - 1 ns") << qint64(-S - 1)
                                 << "1969-12-31T23:59:58.999999999Z" << "1969-12-31T23:59:58Z";
    QTest::addRow("-1 day") << qint64(-86400LL * S)
                            << "1969-12-31T00:00:00.000000000Z" << "1969-12-31T00:00:00Z";
    QTest::addRow("1969-01-01") << qint64(-365LL * 86400 * S)
                                << "1969-01-01T00:00:00.000000000Z" << "1969-01-01T00:00:00Z";
    QTest::addRow("1 ns before 1969") << qint64(-365LL * 86400 * S - 1)
                                      << "1968-12-31T23:59:59.999999999Z" << "1968-12-31T23:59:59Z";
    QTest::addRow("leap day 1968") << qint64(-672LL * 86400 * S)
                                   << "1968-02-29T00:00:00.000000000Z" << "1968-02-29T00:00:00Z";
    QTest::addRow("leap day 1968 + 42 ns") << qint64(-672LL * 86400 * S + 42)
                                           << "1968-02-29T00:00:00.000000042Z" << "1968-02-29T00:00:00Z";
}

void TestTimeFormat::rfc3339Nanos()
{
    QFETCH(qint64, ns);
    QFETCH(QString, nanos);
    QCOMPARE(oxm::rfc3339Nanos(ns), nanos);
}

void TestTimeFormat::rfc3339Seconds()
{
    QFETCH(qint64, ns);
    QFETCH(QString, seconds);
    QCOMPARE(oxm::rfc3339Seconds(ns), seconds);
}

void TestTimeFormat::nanosHasFixedShape_data()
{
    QTest::addColumn<qint64>("ns");
    // Instants across 1900..2200 with every fraction width: the string is always 30 characters
    // "YYYY-MM-DDTHH:MM:SS.fffffffffZ".
    const qint64 bases[] = {-2208988800LL, -1, 0, 951782400LL, 4102444800LL, 7258118400LL};
    const qint64 fractions[] = {0, 1, 10, 999, 1000000, 999999999};
    for (qint64 base : bases)
        for (qint64 f : fractions)
            QTest::addRow("%lld s + %lld ns", base, f) << qint64(base * 1000000000LL + f);
}

void TestTimeFormat::nanosHasFixedShape()
{
    QFETCH(qint64, ns);
    const QString s = oxm::rfc3339Nanos(ns);
    static const QRegularExpression shape(
        QStringLiteral("^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{9}Z$"));
    QVERIFY2(shape.match(s).hasMatch(), qPrintable(s));
    // The seconds form is the same instant without the fraction.
    QCOMPARE(oxm::rfc3339Seconds(ns), s.left(19) + QLatin1Char('Z'));
    // The fraction is the non-negative remainder of ns modulo 1e9.
    const qint64 remainder = ((ns % 1000000000LL) + 1000000000LL) % 1000000000LL;
    QCOMPARE(s.mid(20, 9).toLongLong(), remainder);
}

void TestTimeFormat::validIdentifier_data()
{
    QTest::addColumn<QByteArray>("utf8");
    QTest::addColumn<bool>("valid");

    const auto a = [](int n) { return QByteArray(n, 'a'); };
    QTest::addRow("empty") << QByteArray() << false;
    QTest::addRow("one byte") << QByteArray("x") << true;
    QTest::addRow("typical") << QByteArray("asset-42_Ep.1") << true;
    QTest::addRow("256 ASCII bytes") << a(256) << true;
    QTest::addRow("257 ASCII bytes") << a(257) << false;
    QTest::addRow("255 ASCII bytes") << a(255) << true;
    // Multibyte boundaries: the limit counts bytes, not characters.
    QTest::addRow("254 + 2-byte e-acute = 256") << a(254) + "\xC3\xA9" << true;
    QTest::addRow("255 + 2-byte e-acute = 257") << a(255) + "\xC3\xA9" << false;
    QTest::addRow("253 + 3-byte euro = 256") << a(253) + "\xE2\x82\xAC" << true;
    QTest::addRow("254 + 3-byte euro = 257") << a(254) + "\xE2\x82\xAC" << false;
    QTest::addRow("252 + 4-byte emoji = 256") << a(252) + "\xF0\x9F\x98\x80" << true;
    QTest::addRow("253 + 4-byte emoji = 257") << a(253) + "\xF0\x9F\x98\x80" << false;
    QTest::addRow("128 two-byte chars = 256") << QByteArray("\xC3\xA9").repeated(128) << true;
    QTest::addRow("64 four-byte chars = 256") << QByteArray("\xF0\x9F\x98\x80").repeated(64) << true;
    QTest::addRow("65 four-byte chars = 260") << QByteArray("\xF0\x9F\x98\x80").repeated(65) << false;
    // Control characters U+0000..U+001F and U+007F, anywhere.
    QTest::addRow("NUL in the middle") << QByteArray("ab\0cd", 5) << false;
    QTest::addRow("NUL alone") << QByteArray("\0", 1) << false;
    QTest::addRow("0x01") << QByteArray("a\x01") << false;
    QTest::addRow("tab 0x09") << QByteArray("a\tb") << false;
    QTest::addRow("newline 0x0A") << QByteArray("a\n") << false;
    QTest::addRow("0x1F") << QByteArray("\x1F" "a") << false;
    QTest::addRow("DEL 0x7F") << QByteArray("a\x7F" "b") << false;
    QTest::addRow("space 0x20 is allowed") << QByteArray("a b") << true;
    QTest::addRow("tilde 0x7E is allowed") << QByteArray("~") << true;
    QTest::addRow("slash is allowed (after decoding)") << QByteArray("a/b") << true;
    QTest::addRow("plus is allowed") << QByteArray("a+b") << true;
    QTest::addRow("C1 U+0085 is not in the contract's list") << QByteArray("a\xC2\x85") << true;
    QTest::addRow("U+FFFD itself is valid") << QByteArray("\xEF\xBF\xBD") << true;
    // Invalid UTF-8.
    QTest::addRow("0xFF") << QByteArray("\xFF") << false;
    QTest::addRow("0xFE inside") << QByteArray("ab\xFE" "cd") << false;
    QTest::addRow("lone continuation 0x80") << QByteArray("a\x80") << false;
    QTest::addRow("truncated 2-byte at end") << QByteArray("ab\xC3") << false;
    QTest::addRow("truncated 3-byte at end") << QByteArray("ab\xE2\x82") << false;
    QTest::addRow("truncated 4-byte then ASCII") << QByteArray("\xF0\x9F\x98" "a") << false;
    QTest::addRow("overlong slash C0 AF") << QByteArray("\xC0\xAF") << false;
    QTest::addRow("overlong NUL C0 80") << QByteArray("a\xC0\x80") << false;
    QTest::addRow("overlong 3-byte E0 80 AF") << QByteArray("\xE0\x80\xAF") << false;
    QTest::addRow("UTF-16 surrogate ED A0 80") << QByteArray("\xED\xA0\x80") << false;
    QTest::addRow("above U+10FFFF F4 90 80 80") << QByteArray("\xF4\x90\x80\x80") << false;
    QTest::addRow("Latin-1 e-acute E9") << QByteArray("caf\xE9") << false;
    // IDs are stored byte-exact: a leading U+FEFF is a character of the ID, not a BOM to drop.
    QTest::addRow("leading U+FEFF then text") << QByteArray("\xEF\xBB\xBF" "abc") << true;
    QTest::addRow("U+FEFF alone") << QByteArray("\xEF\xBB\xBF") << true;
}

void TestTimeFormat::validIdentifier()
{
    QFETCH(QByteArray, utf8);
    QFETCH(bool, valid);
    const std::optional<QString> id = oxm::validIdentifier(utf8);
    QCOMPARE(id.has_value(), valid);
    if (valid) {
        // Byte-exact (contract §3): the decoded ID encodes back to the very same bytes.
        QCOMPARE(id->toUtf8(), utf8);
    }
}

void TestTimeFormat::isValidIdentifier_data()
{
    QTest::addColumn<QString>("id");
    QTest::addColumn<bool>("valid");
    QTest::addRow("empty") << QString() << false;
    QTest::addRow("ascii") << QStringLiteral("tv-1") << true;
    QTest::addRow("256 bytes of e-acute") << QString(128, QChar(0xE9)) << true;
    QTest::addRow("258 bytes of e-acute") << QString(129, QChar(0xE9)) << false;
    QTest::addRow("256 x") << QString(256, u'x') << true;
    QTest::addRow("257 x") << QString(257, u'x') << false;
    QTest::addRow("U+0000") << QString(QChar(0)) << false;
    QTest::addRow("U+001F") << QStringLiteral("a\u001Fb") << false;
    QTest::addRow("U+007F") << QStringLiteral("a\u007F") << false;
    QTest::addRow("emoji") << QString::fromUtf8("\xF0\x9F\x98\x80") << true;
}

void TestTimeFormat::isValidIdentifier()
{
    QFETCH(QString, id);
    QFETCH(bool, valid);
    QCOMPARE(oxm::isValidIdentifier(id), valid);
}

QTEST_GUILESS_MAIN(TestTimeFormat)
#include "tst_timeformat.moc"
