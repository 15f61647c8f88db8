#include "httpfrontend.h"

#include "core/serviceconfig.h"
#include "http/guardedtcpserver.h"
#include "http/httpserveradapter.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
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
            auto *tcp = new GuardedTcpServer(m_limits, m_openConnections);
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
