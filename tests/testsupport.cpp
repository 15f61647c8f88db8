#include "testsupport.h"

#include "auth/tokenverifier.h"
#include "oxmservice.h"

#include <QEventLoop>
#include <QFile>
#include <QJsonArray>
#include <QMutex>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QStringDecoder>
#include <QTimer>

namespace oxm::test {

QByteArray testSecret()
{
    return QByteArrayLiteral("oxm-test-secret-0123456789abcdef");
}

QByteArray Reply::header(const QByteArray &name) const
{
    for (const auto &[key, value] : headers)
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    return {};
}

void recordResponse(const QByteArray &method, const QByteArray &target, int status,
                    const QList<QPair<QByteArray, QByteArray>> &headers, const QByteArray &body)
{
    static const QString path = qEnvironmentVariable("OXM_RECORD_RESPONSES");
    if (path.isEmpty() || status == 0)
        return;
    QJsonArray headerList;
    for (const auto &[name, value] : headers)
        headerList.append(QJsonArray{QString::fromLatin1(name), QString::fromLatin1(value)});
    QJsonObject line{{QStringLiteral("method"), QString::fromLatin1(method)},
                     {QStringLiteral("target"), QString::fromLatin1(target)},
                     {QStringLiteral("status"), status},
                     {QStringLiteral("headers"), headerList}};
    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    const QString text = decoder.decode(body);
    if (decoder.hasError())
        line.insert(QStringLiteral("bodyBase64"), QString::fromLatin1(body.toBase64()));
    else
        line.insert(QStringLiteral("body"), text);
    static QMutex mutex;
    const QMutexLocker locker(&mutex);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Append | QIODevice::Unbuffered))
        qFatal("OXM_RECORD_RESPONSES: cannot append to %s", qPrintable(path));
    file.write(QJsonDocument(line).toJson(QJsonDocument::Compact) + '\n');
}

void recordRawResponse(const QByteArray &requestBytes, int status,
                       const QList<QPair<QByteArray, QByteArray>> &headers, const QByteArray &body)
{
    const qsizetype lineEnd = requestBytes.indexOf('\n');
    const QList<QByteArray> parts = requestBytes.left(lineEnd < 0 ? requestBytes.size() : lineEnd).trimmed().split(' ');
    const bool wellFormed = parts.size() == 3 && parts[2].startsWith("HTTP/");
    recordResponse(wellFormed ? parts[0] : QByteArray(), wellFormed ? parts[1] : QByteArray(), status, headers, body);
}

Reply request(quint16 port, const QByteArray &method, const QByteArray &target, const QByteArray &token,
              const QByteArray &body, const QList<QPair<QByteArray, QByteArray>> &headers, int timeoutMs)
{
    thread_local QNetworkAccessManager manager;
    const QUrl url = QUrl::fromEncoded("http://127.0.0.1:" + QByteArray::number(port) + target, QUrl::StrictMode);
    QNetworkRequest req(url);
    req.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    if (!token.isEmpty())
        req.setRawHeader("Authorization", "Bearer " + token);
    for (const auto &[name, value] : headers)
        req.setRawHeader(name, value);
    if (!body.isEmpty())
        req.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    // A custom verb "HEAD" would make QNetworkAccessManager wait for the Content-Length body.
    QNetworkReply *reply = method == "HEAD" ? manager.head(req) : manager.sendCustomRequest(req, method, body);
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    loop.exec();
    Reply result;
    if (reply->isFinished()) {
        result.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        result.body = reply->readAll();
        result.headers = reply->rawHeaderPairs();
        recordResponse(method, target, result.status, result.headers, result.body);
    } else {
        reply->abort();
    }
    delete reply;
    return result;
}

ServiceFixture::ServiceFixture(int streamTimeoutSeconds)
    : ServiceFixture(std::function<void(ServiceConfig &)>(), streamTimeoutSeconds)
{
}

ServiceFixture::ServiceFixture(const std::function<void(ServiceConfig &)> &tweak, int streamTimeoutSeconds)
{
    ServiceConfig config;
    config.port = 0;
    config.databasePath = m_dir.filePath(QStringLiteral("oxm.sqlite"));
    config.jwtSecret = testSecret();
    config.streamTimeoutSeconds = streamTimeoutSeconds;
    config.httpThreads = 2;
    if (tweak)
        tweak(config);
    m_service = std::make_unique<OxmService>(config, &m_clock);
    m_service->open();
    m_port = m_service->startListening();
}

ServiceFixture::~ServiceFixture()
{
    m_service.reset();
}

QString ServiceFixture::databasePath() const
{
    return m_dir.filePath(QStringLiteral("oxm.sqlite"));
}

QByteArray ServiceFixture::token(const QString &tenant, const QString &user, Principal::Role role,
                                 const QString &device, qint64 ttlSeconds) const
{
    return TokenIssuer(testSecret(), m_clock).issue(tenant, user, role, device, ttlSeconds);
}

} // namespace oxm::test
