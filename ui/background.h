#pragma once

#include <QFutureWatcher>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>
#include <exception>
#include <optional>
#include <type_traits>

namespace oxm {

/// What a piece of background work produced: its value, or the message of what it threw.
template <typename T>
struct Outcome
{
    std::optional<T> value;
    QString error;

    bool ok() const { return value.has_value(); }
};

/// Runs `work` on `pool` (never on the GUI thread) and calls `done(Outcome)` on `context`'s
/// thread once it has finished, unless `context` was destroyed meanwhile. Exceptions thrown by
/// `work` (ApiError, StorageError, std::invalid_argument, …) become Outcome::error. `work`
/// returning void yields an Outcome<bool>.
///
/// This is how screens call store-backed domain methods (policies, watchlists, resume points,
/// the catalog): the GUI thread never waits for SQL.
template <typename Work, typename Done>
void runInBackground(QThreadPool *pool, QObject *context, Work work, Done done)
{
    using Result = std::invoke_result_t<Work>;
    using Value = std::conditional_t<std::is_void_v<Result>, bool, Result>;
    auto guarded = [work = std::move(work)]() mutable {
        Outcome<Value> outcome;
        try {
            if constexpr (std::is_void_v<Result>) {
                work();
                outcome.value = true;
            } else {
                outcome.value = work();
            }
        } catch (const std::exception &error) {
            outcome.error = QString::fromUtf8(error.what());
        } catch (...) {
            outcome.error = QStringLiteral("unexpected error");
        }
        return outcome;
    };
    auto *watcher = new QFutureWatcher<Outcome<Value>>(context);
    QObject::connect(watcher, &QFutureWatcherBase::finished, context,
                     [watcher, done = std::move(done)]() mutable {
                         watcher->deleteLater();
                         done(watcher->future().result());
                     });
    watcher->setFuture(QtConcurrent::run(pool, std::move(guarded)));
}

} // namespace oxm
