#include "rawclient.h"

#include "testsupport.h"

#include <QElapsedTimer>
#include <QHostAddress>
#include <QJsonDocument>
#include <QJsonObject>

namespace oxm::test {

QByteArray RawResponse::header(const QByteArray &name) const
{
    for (const auto &[key, value] : headers)
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    return {};
}

int RawResponse::errorCode() const
{
    return QJsonDocument::fromJson(body).object().value(QStringLiteral("errorCode")).toInt(-1);
}

ResponseParser::ResponseParser()
{
    http_parser_init(&m_parser, HTTP_RESPONSE);
    m_parser.data = this;
    http_parser_settings_init(&m_settings);
    m_settings.on_message_begin = [](http_parser *p) {
        self(p)->m_current = {};
        return 0;
    };
    m_settings.on_header_field = [](http_parser *p, const char *at, size_t n) {
        ResponseParser *r = self(p);
        if (r->m_current.headers.isEmpty() || r->m_inValue)
            r->m_current.headers.append(QPair<QByteArray, QByteArray>());
        r->m_inValue = false;
        r->m_current.headers.last().first.append(at, qsizetype(n));
        return 0;
    };
    m_settings.on_header_value = [](http_parser *p, const char *at, size_t n) {
        ResponseParser *r = self(p);
        r->m_inValue = true;
        r->m_current.headers.last().second.append(at, qsizetype(n));
        return 0;
    };
    m_settings.on_headers_complete = [](http_parser *p) {
        self(p)->m_current.status = int(p->status_code);
        self(p)->m_inValue = false;
        return 0;
    };
    m_settings.on_body = [](http_parser *p, const char *at, size_t n) {
        self(p)->m_current.body.append(at, qsizetype(n));
        return 0;
    };
    m_settings.on_message_complete = [](http_parser *p) {
        ResponseParser *r = self(p);
        (r->m_current.status >= 200 ? r->responses : r->interimResponses).append(r->m_current);
        return 0;
    };
}

ResponseParser *ResponseParser::self(http_parser *parser)
{
    return static_cast<ResponseParser *>(parser->data);
}

void ResponseParser::feed(const QByteArray &bytes)
{
    if (bytes.isEmpty() || failed)
        return;
    received += bytes.size();
    const size_t parsed = http_parser_execute(&m_parser, &m_settings, bytes.constData(), size_t(bytes.size()));
    if (HTTP_PARSER_ERRNO(&m_parser) != HPE_OK || parsed != size_t(bytes.size()))
        failed = true;
}

RawClient::RawClient(quint16 port)
{
    m_socket.connectToHost(QHostAddress::LocalHost, port);
    m_socket.waitForConnected(3000);
}

bool RawClient::connected() const
{
    return m_socket.state() == QAbstractSocket::ConnectedState;
}

void RawClient::send(const QByteArray &bytes)
{
    m_socket.write(bytes);
    m_socket.flush();
}

void RawClient::waitForResponses(int count, int timeoutMs)
{
    if (timeoutMs < 0)
        timeoutMs = 10000 * timeScale();
    QElapsedTimer timer;
    timer.start();
    while (parser.responses.size() < count && timer.elapsed() < timeoutMs) {
        if (m_socket.bytesAvailable() > 0 || m_socket.waitForReadyRead(20))
            parser.feed(m_socket.readAll());
        else if (m_socket.state() != QAbstractSocket::ConnectedState)
            break;
    }
    parser.feed(m_socket.readAll());
}

qint64 RawClient::waitForClose(int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < timeoutMs) {
        if (m_socket.state() != QAbstractSocket::ConnectedState)
            break;
        if (m_socket.waitForReadyRead(20))
            parser.feed(m_socket.readAll());
    }
    parser.feed(m_socket.readAll());
    return m_socket.state() == QAbstractSocket::ConnectedState ? -1 : timer.elapsed();
}

QByteArray rawRequest(const QByteArray &method, const QByteArray &target, const QByteArray &headers,
                      const QByteArray &body, bool withLength)
{
    QByteArray bytes = method + ' ' + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers;
    if (withLength && !body.isNull())
        bytes += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    return bytes + "\r\n" + body;
}

QByteArray chunkedBody(qint64 total, qint64 chunk)
{
    QByteArray bytes;
    for (qint64 sent = 0; sent < total; sent += chunk) {
        const qint64 n = std::min(chunk, total - sent);
        bytes += QByteArray::number(n, 16) + "\r\n" + QByteArray(n, 'x') + "\r\n";
    }
    return bytes + "0\r\n\r\n";
}

QByteArray padHeaders(int count, int valueSize)
{
    QByteArray headers;
    for (int i = 0; i < count; ++i)
        headers += "X-Pad-" + QByteArray::number(i).rightJustified(3, '0') + ": " + QByteArray(valueSize, 'v') + "\r\n";
    return headers;
}

} // namespace oxm::test
