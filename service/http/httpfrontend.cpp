#include "httpfrontend.h"
#include "core/threadnice.h"

#include "core/serviceconfig.h"
#include "http/connectiontable.h"
#include "http/guardedtcpserver.h"
#include "http/httpserveradapter.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QFile>
#include <QSslCertificate>
#include <QSslKey>
#include <QTcpServer>
#include <QThread>
#include <stdexcept>
#include <unistd.h>

namespace oxm {

HttpFrontend::HttpFrontend(RequestHandler &handler, QObject *parent)
    : QObject(parent)
    , m_handler(handler)
{
}

HttpFrontend::HttpFrontend(RequestHandler &handler, const ServiceConfig &config, QObject *parent)
    : QObject(parent)
    , m_handler(handler)
    , m_limits(FrontDoorLimits::from(config))
{
    if (!config.tlsCertificateFile.isEmpty() || !config.tlsKeyFile.isEmpty())
        m_tls = loadTlsConfiguration(config.tlsCertificateFile, config.tlsKeyFile);
}

namespace {
[[noreturn]] void tlsFailure(const QString &message)
{
    throw std::runtime_error(message.toStdString());
}

QByteArray readPem(const QString &file, const char *what)
{
    if (file.isEmpty())
        tlsFailure(QStringLiteral("TLS needs both a certificate (--tls-cert) and a private key (--tls-key); the %1 is missing")
                       .arg(QLatin1String(what)));
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly))
        tlsFailure(QStringLiteral("cannot read the TLS %1 %2: %3").arg(QLatin1String(what), file, f.errorString()));
    return f.readAll();
}
} // namespace

QSslConfiguration HttpFrontend::loadTlsConfiguration(const QString &certificateFile, const QString &keyFile)
{
    if (!QSslSocket::supportsSsl())
        tlsFailure(QStringLiteral("TLS is not available: Qt found no TLS backend (OpenSSL 3)"));
    const QList<QSslCertificate> chain = QSslCertificate::fromData(readPem(certificateFile, "certificate"), QSsl::Pem);
    if (chain.isEmpty() || chain.constFirst().isNull())
        tlsFailure(QStringLiteral("the TLS certificate %1 holds no PEM certificate").arg(certificateFile));
    const QByteArray keyPem = readPem(keyFile, "private key");
    QSslKey key;
    for (const QSsl::KeyAlgorithm algorithm : {QSsl::Rsa, QSsl::Ec}) {
        key = QSslKey(keyPem, algorithm, QSsl::Pem, QSsl::PrivateKey);
        if (!key.isNull())
            break;
    }
    if (key.isNull())
        tlsFailure(QStringLiteral("the TLS private key %1 is not an unencrypted PEM RSA or EC private key").arg(keyFile));
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setLocalCertificateChain(chain);
    configuration.setPrivateKey(key);
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone); // clients are authenticated by their token
    configuration.setProtocol(QSsl::TlsV1_2OrLater);
    return configuration;
}

int HttpFrontend::openConnections() const
{
    return m_table ? m_table->openConnections() : 0;
}

HttpFrontend::~HttpFrontend()
{
    stop();
}

quint16 HttpFrontend::listen(const QHostAddress &address, quint16 port, int threads)
{
    stop();
    QTcpServer probe;
    probe.setListenBacklogSize(4096);
    if (!probe.listen(address, port))
        throw std::runtime_error(QStringLiteral("cannot listen on %1:%2: %3")
                                     .arg(address.toString()).arg(port).arg(probe.errorString())
                                     .toStdString());
    m_port = probe.serverPort();
    m_table = std::make_shared<ConnectionTable>(m_limits.maxConnections);

    for (int i = 0; i < std::max(1, threads); ++i) {
        const int fd = ::dup(int(probe.socketDescriptor()));
        if (fd < 0)
            throw std::runtime_error("cannot duplicate the listening socket");
        Worker worker;
        worker.thread = new QThread(this);
        worker.thread->setObjectName(QStringLiteral("oxm-http-%1").arg(i));
        worker.context = new QObject;
        worker.context->moveToThread(worker.thread);
        worker.thread->start();
        bool bound = false;
        QMetaObject::invokeMethod(worker.context, [&, fd, context = worker.context] {
            applyServiceThreadNice();
            auto *tcp = new GuardedTcpServer(m_limits, m_table, m_tls);
            if (!tcp->setSocketDescriptor(fd)) {
                ::close(fd);
                delete tcp;
                return;
            }
            auto *server = new HttpServerAdapter(m_handler, context);
            server->bind(tcp);
            bound = true;
        }, Qt::BlockingQueuedConnection);
        m_workers.append(worker);
        if (!bound) {
            stop();
            throw std::runtime_error("cannot serve from the listening socket");
        }
    }
    return m_port;
}

void HttpFrontend::stop()
{
    for (const Worker &worker : std::as_const(m_workers)) {
        QMetaObject::invokeMethod(worker.context, [context = worker.context] {
            // Stop accepting, then let deferred responses (waiting for their commit) go out.
            const QList<HttpServerAdapter *> servers = context->findChildren<HttpServerAdapter *>();
            for (HttpServerAdapter *server : servers)
                for (QTcpServer *tcp : server->servers())
                    tcp->close();
            const auto pending = [&servers] {
                return std::any_of(servers.cbegin(), servers.cend(),
                                   [](const HttpServerAdapter *s) { return s->pendingResponses() > 0; });
            };
            QDeadlineTimer deadline(DrainTimeoutMs);
            while (pending() && !deadline.hasExpired()) {
                QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
                QThread::msleep(1);
            }
            qDeleteAll(context->children());
        }, Qt::BlockingQueuedConnection);
        worker.thread->quit();
        worker.thread->wait();
        delete worker.context;
        delete worker.thread;
    }
    m_workers.clear();
}

} // namespace oxm
