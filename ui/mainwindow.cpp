#include "mainwindow.h"

#include "catalogscreen.h"
#include "livescreen.h"
#include "policiesscreen.h"
#include "serverscreen.h"
#include "servicehost.h"
#include "subscribersscreen.h"
#include "tokensscreen.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QStackedWidget>
#include <QStatusBar>

static void initResources()
{
    Q_INIT_RESOURCE(oxm);
}

namespace oxm {

MainWindow::MainWindow(ServiceHost &host, QWidget *parent)
    : QMainWindow(parent)
    , m_host(host)
    , m_sidebar(new QListWidget(this))
    , m_stack(new QStackedWidget(this))
    , m_serverState(new QLabel(this))
{
    initResources();
    setWindowTitle(tr("OXM Admin"));
    setWindowIcon(QIcon(QStringLiteral(":/oxm/oxm-admin.png")));

    m_live = new LiveScreen(host, this);
    m_policies = new PoliciesScreen(host, this);
    m_subscribers = new SubscribersScreen(host, this);
    m_catalog = new CatalogScreen(host, this);
    m_tokens = new TokensScreen(host, this);
    m_server = new ServerScreen(host, this);

    const QStringList titles{tr("Live"), tr("Policies"), tr("Subscribers"), tr("Catalog"), tr("Tokens"), tr("Server")};
    for (int i = 0; i < ScreenCount; ++i) {
        Screen *page = screen(i);
        m_stack->addWidget(page);
        auto *item = new QListWidgetItem(titles.at(i), m_sidebar);
        item->setToolTip(tr("%1 (Ctrl+%2)").arg(titles.at(i)).arg(i + 1));
        connect(page, &Screen::statusMessage, this, [this](const QString &message) { statusBar()->showMessage(message, 8000); });
        connect(page, &Screen::errorMessage, this, &MainWindow::showError);
    }
    QFont sidebarFont = m_sidebar->font();
    sidebarFont.setPointSizeF(sidebarFont.pointSizeF() * 1.1);
    m_sidebar->setFont(sidebarFont);
    m_sidebar->setSpacing(2);
    m_sidebar->setFrameShape(QFrame::NoFrame);
    m_sidebar->setFixedWidth(m_sidebar->fontMetrics().horizontalAdvance(QStringLiteral("Subscribers")) + 48);
    m_sidebar->setBackgroundRole(QPalette::Window);
    connect(m_sidebar, &QListWidget::currentRowChanged, m_stack, &QStackedWidget::setCurrentIndex);

    auto *central = new QWidget(this);
    auto *layout = new QHBoxLayout(central);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_sidebar);
    layout->addWidget(m_stack, 1);
    setCentralWidget(central);
    statusBar()->addPermanentWidget(m_serverState);

    createMenus();
    connect(&m_host, &ServiceHost::stateChanged, this, &MainWindow::updateStatus);
    connect(&m_host, &ServiceHost::errorOccurred, this,
            [this](const QString &message) { showError(tr("OXM service"), message); });
    connect(m_server, &ServerScreen::settingsEdited, this, [this] { statusBar()->showMessage(tr("Settings saved."), 5000); });
    showScreen(LiveIndex);
    updateStatus();
    resize(1280, 800);
}

Screen *MainWindow::screen(int index) const
{
    switch (index) {
    case LiveIndex: return m_live;
    case PoliciesIndex: return m_policies;
    case SubscribersIndex: return m_subscribers;
    case CatalogIndex: return m_catalog;
    case TokensIndex: return m_tokens;
    case ServerIndex: return m_server;
    }
    return nullptr;
}

QString MainWindow::screenName(int index)
{
    static const char *const names[] = {"live", "policies", "subscribers", "catalog", "tokens", "server"};
    return index >= 0 && index < ScreenCount ? QString::fromLatin1(names[index]) : QString();
}

void MainWindow::showScreen(int index)
{
    if (index < 0 || index >= ScreenCount)
        return;
    m_sidebar->setCurrentRow(index);
    m_stack->setCurrentIndex(index);
}

int MainWindow::currentScreen() const
{
    return m_stack->currentIndex();
}

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QAction *quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);
    quit->setShortcutContext(Qt::ApplicationShortcut);
    if (quit->shortcut() != QKeySequence(Qt::CTRL | Qt::Key_Q))
        quit->setShortcuts({QKeySequence::Quit, QKeySequence(Qt::CTRL | Qt::Key_Q)});

    QMenu *view = menuBar()->addMenu(tr("&View"));
    for (int i = 0; i < ScreenCount; ++i) {
        QAction *action = view->addAction(m_sidebar->item(i)->text(), this, [this, i] { showScreen(i); });
        action->setShortcut(QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + i)));
    }
    view->addSeparator();
    QAction *refresh = view->addAction(tr("&Refresh"), this, &MainWindow::refreshCurrent);
    refresh->setShortcut(QKeySequence::Refresh);
    if (refresh->shortcut() != QKeySequence(Qt::Key_F5))
        refresh->setShortcuts({QKeySequence::Refresh, QKeySequence(Qt::Key_F5)});

    QMenu *service = menuBar()->addMenu(tr("&Service"));
    service->addAction(tr("&Start"), &m_host, &ServiceHost::start);
    service->addAction(tr("S&top"), &m_host, &ServiceHost::stop);
    service->addAction(tr("&Restart"), &m_host, &ServiceHost::restart);
    service->addSeparator();
    service->addAction(tr("S&ettings…"), m_server, &ServerScreen::editSettings);

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About OXM Admin"), this, &MainWindow::about);
    help->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt);
}

void MainWindow::refreshCurrent()
{
    if (Screen *page = screen(currentScreen()))
        page->refresh();
}

void MainWindow::about()
{
    QMessageBox::about(this, tr("About OXM Admin"),
                       tr("<h3>OXM Admin %1</h3>"
                          "<p>The desktop admin app of the OXM experience API: live concurrency, "
                          "streaming policies, subscribers, the asset catalog and tokens, with the "
                          "API served from this process.</p>"
                          "<p>Built with Qt %2, running on Qt %3.</p>")
                           .arg(QStringLiteral(OXM_VERSION), QStringLiteral(QT_VERSION_STR), QString::fromLatin1(qVersion())));
}

void MainWindow::showError(const QString &title, const QString &message)
{
    statusBar()->showMessage(message.section(QLatin1Char('\n'), 0, 0), 10000);
    if (!m_interactive) {
        qWarning().noquote() << title << ":" << message;
        return;
    }
    QMessageBox box(QMessageBox::Warning, title, message, QMessageBox::Ok, this);
    if (title == tr("OXM service"))
        box.setInformativeText(tr("You can change the address or the database in Server ▸ Settings… "
                                  "and press Start."));
    box.exec();
}

void MainWindow::updateStatus()
{
    m_serverState->setText(m_host.isListening() ? tr("Serving %1").arg(m_host.apiUrl()) : tr("Service stopped"));
}

void MainWindow::saveLayout() const
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    settings.setValue(QStringLiteral("window/screen"), currentScreen());
}

void MainWindow::restoreLayout()
{
    const QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    showScreen(settings.value(QStringLiteral("window/screen"), int(LiveIndex)).toInt());
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    saveLayout();
    event->accept();
}

} // namespace oxm
