#pragma once

#include <QtGlobal>
#include <atomic>

namespace oxm {

/// Source of "now" for every timestamp and expiry decision in the service.
/// Injected so that tests can move time without sleeping (architecture.md, "Clock").
class Clock
{
public:
    virtual ~Clock() = default;
    /// Wall-clock time in nanoseconds since the Unix epoch (UTC).
    virtual qint64 nowNs() const = 0;
    /// Wall-clock time in milliseconds since the Unix epoch (UTC).
    qint64 nowMs() const { return nowNs() / 1000000; }
};

/// The real clock: std::chrono::system_clock with nanosecond resolution.
class SystemClock final : public Clock
{
public:
    qint64 nowNs() const override;
};

/// A clock that only moves when told to; thread-safe.
class ManualClock final : public Clock
{
public:
    explicit ManualClock(qint64 startNs = 1700000000LL * 1000000000LL) : m_now(startNs) {}
    qint64 nowNs() const override { return m_now.load(); }
    void setNowNs(qint64 ns) { m_now.store(ns); }
    void advanceSeconds(double seconds) { m_now.fetch_add(qint64(seconds * 1e9)); }

private:
    std::atomic<qint64> m_now;
};

} // namespace oxm
