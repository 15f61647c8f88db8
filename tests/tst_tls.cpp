// HTTPS (issue 4, "TLS"): --tls-cert/--tls-key serve HTTPS only, over Qt's OpenSSL backend;
// the front door's limits hold over TLS; a plain-HTTP request to the TLS port is refused.
// A throwaway certificate is generated with the openssl command for each run.
#include "testsupport.h"

#include "http/httpfrontend.h"
#include "oxmservice.h"

#include <QEventLoop>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslSocket>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <stdexcept>

using namespace oxm;
using namespace oxm::test;

namespace {

/// Reads what the server sends until it closes or `timeoutMs` passes.
QByteArray readUntilClosed(QTcpSocket &socket, int timeoutMs)
{
    QByteArray received;
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < timeoutMs && socket.state() == QAbstractSocket::ConnectedState) {
        socket.waitForReadyRead(50);
        received += socket.readAll();
    }
    return received + socket.readAll();
}

} // namespace

class TlsTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QSslSocket::supportsSsl(), "Qt has no TLS backend here");
        QVERIFY(m_dir.isValid());
        m_certFile = m_dir.filePath(QStringLiteral("cert.pem"));
        m_keyFile = m_dir.filePath(QStringLiteral("key.pem"));
        QProcess openssl;
        openssl.start(QStringLiteral("openssl"),
                      {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"), QStringLiteral("ec"),
                       QStringLiteral("-pkeyopt"), QStringLiteral("ec_paramgen_curve:prime256v1"), QStringLiteral("-nodes"),
                       QStringLiteral("-keyout"), m_keyFile, QStringLiteral("-out"), m_certFile, QStringLiteral("-days"),
                       QStringLiteral("2"), QStringLiteral("-subj"), QStringLiteral("/CN=127.0.0.1"), QStringLiteral("-addext"),
                       QStringLiteral("subjectAltName=IP:127.0.0.1")});
        QVERIFY2(openssl.waitForFinished(30000) && openssl.exitCode() == 0, openssl.readAllStandardError().constData());
        const QList<QSslCertificate> certificates = QSslCertificate::fromPath(m_certFile);
        QCOMPARE(certificates.size(), 1);
        m_clientConfig = QSslConfiguration::defaultConfiguration();
        m_clientConfig.setCaCertificates(certificates); // trust exactly the throwaway certificate
        m_fixture = std::make_unique<ServiceFixture>([this](ServiceConfig &config) {
            config.tlsCertificateFile = m_certFile;
            config.tlsKeyFile = m_keyFile;
        });
        QVERIFY(m_fixture->service().isTls());
    }
    void cleanupTestCase() { m_fixture.reset(); }

    void apiOverHttps()
    {
        const QByteArray admin = m_fixture->token(QStringLiteral("acme"), QStringLiteral("ops"), Principal::Role::Admin);
        const QByteArray viewer = m_fixture->token(QStringLiteral("acme"), QStringLiteral("ann"));
        Reply health = https("GET", "/oxm/v1/healthz");
        QCOMPARE(health.status, 200);
        QCOMPARE(health.object().value(QStringLiteral("status")).toString(), QStringLiteral("ok"));

        Reply policy = https("PUT", "/oxm/v1/streampolicy/acme", admin, R"({"maxPerUser":1,"maxPerAsset":1,"maxDevices":1})");
        QCOMPARE(policy.status, 200);
        QCOMPARE(policy.object().value(QStringLiteral("maxPerUser")).toInt(), 1);
        QCOMPARE(https("PUT", "/oxm/v1/streams/film/streaming?device=tv&progress=42", viewer).status, 204);
        // maxPerUser 1: a second stream of the same user is refused (contract §5).
        Reply refused = https("PUT", "/oxm/v1/streams/other/streaming?device=phone", viewer);
        QCOMPARE(refused.status, 409);
        QCOMPARE(refused.errorCode(), 1050);
        Reply resume = https("GET", "/oxm/v1/streams/film", viewer);
        QCOMPARE(resume.status, 200);
        QCOMPARE(resume.object().value(QStringLiteral("progress")).toInt(), 42);
        QCOMPARE(https("GET", "/oxm/v1/streams/counts", viewer).object(), QJsonObject({{QStringLiteral("film"), 1}}));
        QCOMPARE(https("GET", "/oxm/v1/streams/counts").errorCode(), 1000); // no token → 401/1000
    }

    void untrustedClientsSeeTheCertificate()
    {
        // A client that does not trust the throwaway certificate fails the handshake: it is TLS,
        // with that certificate.
        QSslSocket socket;
        socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), m_fixture->port());
        QVERIFY(!socket.waitForEncrypted(5000));
        QCOMPARE(socket.error(), QAbstractSocket::SslHandshakeFailedError);
        QVERIFY(!socket.sslHandshakeErrors().isEmpty());
        QCOMPARE(socket.peerCertificate(), QSslCertificate::fromPath(m_certFile).constFirst());
    }

    void plainHttpIsRefused()
    {
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, m_fixture->port());
        QVERIFY(socket.waitForConnected(3000));
        socket.write("GET /oxm/v1/healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        const QByteArray received = readUntilClosed(socket, 5000);
        QCOMPARE(socket.state(), QAbstractSocket::UnconnectedState); // closed by the server
        QVERIFY2(!received.contains("HTTP/1.1") && !received.contains("\"status\""), received.constData());
        // ... and the port goes on serving HTTPS.
        QCOMPARE(https("GET", "/oxm/v1/healthz").status, 200);
    }

    void frontDoorLimitsHoldOverTls_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<int>("status");
        QTest::addColumn<int>("errorCode");
        const QByteArray host = "Host: 127.0.0.1\r\n";
        QTest::newRow("header block of 20,000 bytes → 431/1100")
            << QByteArray("GET /oxm/v1/healthz HTTP/1.1\r\n" + host + "X-Big: " + QByteArray(20000, 'a') + "\r\n\r\n") << 431 << 1100;
        QTest::newRow("target of 9,000 bytes → 414/1100")
            << QByteArray("GET /oxm/v1/healthz?x=" + QByteArray(9000, 'a') + " HTTP/1.1\r\n" + host + "\r\n") << 414 << 1100;
        QTest::newRow("Content-Length 1,048,577 → 413/1090")
            << QByteArray("PUT /oxm/v1/streampolicy/acme HTTP/1.1\r\n" + host + "Content-Length: 1048577\r\n\r\n") << 413 << 1090;
        QTest::newRow("HTTP/9.9 → 505/1100") << QByteArray("GET /oxm/v1/healthz HTTP/9.9\r\n" + host + "\r\n") << 505 << 1100;
        QTest::newRow("Content-Length with Transfer-Encoding → 400/1100")
            << QByteArray("PUT /oxm/v1/towatch/a HTTP/1.1\r\n" + host
                          + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n") << 400 << 1100;
        QTest::newRow("bare LF → 400/1100") << QByteArray("GET /oxm/v1/healthz HTTP/1.1\n" + host + "\r\n") << 400 << 1100;
    }
    void frontDoorLimitsHoldOverTls()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(int, status);
        QFETCH(int, errorCode);
        QSslSocket socket;
        socket.setSslConfiguration(m_clientConfig);
        socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), m_fixture->port());
        QVERIFY2(socket.waitForEncrypted(5000), qPrintable(socket.errorString()));
        socket.write(bytes);
        const QByteArray received = readUntilClosed(socket, 5000);
        const QByteArray statusLine = "HTTP/1.1 " + QByteArray::number(status) + ' ';
        QVERIFY2(received.startsWith(statusLine), received.left(200).constData());
        QVERIFY(received.contains("\r\nConnection: close\r\n"));
        const QJsonObject body = QJsonDocument::fromJson(received.mid(received.indexOf("\r\n\r\n") + 4)).object();
        QCOMPARE(body.value(QStringLiteral("errorCode")).toInt(), errorCode);
        QCOMPARE(socket.state(), QAbstractSocket::UnconnectedState);
    }

    void badTlsFilesAreRefused_data()
    {
        QTest::addColumn<QString>("certificate");
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("messagePart");
        QTest::newRow("no key") << QStringLiteral("cert") << QString() << QStringLiteral("private key is missing");
        QTest::newRow("missing certificate file") << QStringLiteral("nowhere") << QStringLiteral("key") << QStringLiteral("cannot read");
        QTest::newRow("certificate file is a key") << QStringLiteral("key") << QStringLiteral("key") << QStringLiteral("holds no PEM certificate");
        QTest::newRow("key file is a certificate") << QStringLiteral("cert") << QStringLiteral("cert") << QStringLiteral("not an unencrypted PEM");
        QTest::newRow("garbage key") << QStringLiteral("cert") << QStringLiteral("garbage") << QStringLiteral("not an unencrypted PEM");
    }
    void badTlsFilesAreRefused()
    {
        QFETCH(QString, certificate);
        QFETCH(QString, key);
        QFETCH(QString, messagePart);
        QFile garbage(m_dir.filePath(QStringLiteral("garbage.pem")));
        QVERIFY(garbage.open(QIODevice::WriteOnly));
        garbage.write("-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n");
        garbage.close();
        const auto path = [this](const QString &name) {
            if (name == QLatin1String("cert")) return m_certFile;
            if (name == QLatin1String("key")) return m_keyFile;
            if (name.isEmpty()) return QString();
            return m_dir.filePath(name + QStringLiteral(".pem"));
        };
        try {
            HttpFrontend::loadTlsConfiguration(path(certificate), path(key));
            QFAIL("accepted");
        } catch (const std::runtime_error &error) {
            QVERIFY2(QString::fromUtf8(error.what()).contains(messagePart), error.what());
        }
    }

private:
    Reply https(const QByteArray &method, const QByteArray &target, const QByteArray &token = {},
                const QByteArray &body = {})
    {
        QNetworkRequest request(QUrl::fromEncoded("https://127.0.0.1:" + QByteArray::number(m_fixture->port()) + target));
        request.setSslConfiguration(m_clientConfig);
        request.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
        if (!token.isEmpty())
            request.setRawHeader("Authorization", "Bearer " + token);
        if (!body.isEmpty())
            request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
        QNetworkReply *reply = m_manager.sendCustomRequest(request, method, body);
        QEventLoop loop;
        connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
        QTimer::singleShot(10000, &loop, &QEventLoop::quit);
        loop.exec();
        Reply result;
        if (reply->isFinished()) {
            result.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            result.body = reply->readAll();
            if (reply->error() != QNetworkReply::NoError && result.status == 0)
                qWarning() << reply->errorString();
        }
        delete reply;
        return result;
    }

    QTemporaryDir m_dir;
    QString m_certFile;
    QString m_keyFile;
    QSslConfiguration m_clientConfig;
    QNetworkAccessManager m_manager;
    std::unique_ptr<ServiceFixture> m_fixture;
};

QTEST_GUILESS_MAIN(TlsTest)
#include "tst_tls.moc"
