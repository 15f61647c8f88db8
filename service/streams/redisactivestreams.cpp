#include "redisactivestreams.h"

#include <QHash>
#include <algorithm>
#include <stdexcept>

namespace oxm {

namespace {

// ARGV[1] command, ARGV[2] key prefix, ARGV[3] now (ns, 20 digits), ARGV[4] now (ms);
// per-user commands: KEYS = {P s:UK, P h:UK, P t:UK}, ARGV[5] UK, ARGV[6] M.
// Times compared as 20-digit strings (exact in ns; Lua numbers are doubles).
const char LuaScript[] = R"LUA(
local cmd, P, now, nowMs = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local index = P .. 'users'

local function split(m)
  local i = string.find(m, '\31', 1, true)
  return string.sub(m, 1, i - 1), string.sub(m, i + 1)
end

-- Drops the user's streams and tombstones whose end is <= now; appends the streams to expired.
local function prune(s, h, t, uk, expired, withUser)
  for _, m in ipairs(redis.call('ZRANGEBYSCORE', s, '-inf', nowMs)) do
    local v = redis.call('HGET', h, m)
    if (not v) or string.sub(v, 1, 20) <= now then
      redis.call('ZREM', s, m)
      if v then
        redis.call('HDEL', h, m)
        if withUser then expired[#expired + 1] = uk end
        expired[#expired + 1] = m
      end
    end
  end
  for _, m in ipairs(redis.call('ZRANGEBYSCORE', t, '-inf', nowMs)) do
    local v = redis.call('HGET', h, '\30' .. m)
    if (not v) or v <= now then
      redis.call('ZREM', t, m)
      redis.call('HDEL', h, '\30' .. m)
    end
  end
end

-- Key lifetimes follow the user's latest expiry (set from it, never just refreshed).
-- The index scores a user by the earliest expiry (what the sweep looks for).
local function finish(s, h, t, uk)
  local first = redis.call('ZRANGE', s, 0, 0, 'WITHSCORES')
  local top = redis.call('ZRANGE', s, -1, -1, 'WITHSCORES')
  local tomb = redis.call('ZRANGE', t, -1, -1, 'WITHSCORES')
  local maxMs = nil
  if #top > 0 then
    redis.call('ZADD', index, first[2], uk)
    maxMs = tonumber(top[2])
  else
    redis.call('ZREM', index, uk)
  end
  if #tomb > 0 and (maxMs == nil or tonumber(tomb[2]) > maxMs) then maxMs = tonumber(tomb[2]) end
  if maxMs == nil then
    redis.call('DEL', s, h, t)
    return
  end
  local ttl = maxMs - tonumber(nowMs) + 1
  if ttl < 1 then ttl = 1 end
  redis.call('PEXPIRE', s, ttl)
  redis.call('PEXPIRE', h, ttl)
  redis.call('PEXPIRE', t, ttl)
  if #top > 0 and redis.call('PTTL', index) < ttl then redis.call('PEXPIRE', index, ttl) end
end

if cmd == 'beat' then
  local s, h, t = KEYS[1], KEYS[2], KEYS[3]
  local uk, m, explicit = ARGV[5], ARGV[6], ARGV[7]
  local maxU, maxA, maxD = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
  local exp, expMs, progress = ARGV[11], ARGV[12], ARGV[13]
  local expired = {}
  prune(s, h, t, uk, expired, false)
  local v = redis.call('HGET', h, m)
  if v and redis.call('ZSCORE', s, m) then
    -- Active: refreshed, no limit checked.
    local started, ex = string.sub(v, 22, 41), string.sub(v, 64, 64)
    local prog, seq = string.match(string.sub(v, 66), '^(%S+) (%S+)$')
    if tonumber(progress) >= 0 then prog = progress end
    local nv = exp .. ' ' .. started .. ' ' .. now .. ' ' .. ex .. ' ' .. prog .. ' ' .. seq
    redis.call('HSET', h, m, nv)
    redis.call('ZADD', s, expMs, m)
    finish(s, h, t, uk)
    return {'refreshed', expired, {m, nv}}
  end
  local tomb = redis.call('HGET', h, '\30' .. m)
  if tomb then
    finish(s, h, t, uk)
    return {'tombstone', expired, {tomb}}
  end
  local asset, device = split(m)
  local current, replaced = {}, {}
  local remaining, onAsset, known, ndev, devices = 0, 0, false, 0, {}
  for _, om in ipairs(redis.call('ZRANGE', s, 0, -1)) do
    local ov = redis.call('HGET', h, om)
    if ov then
      current[#current + 1] = om
      current[#current + 1] = ov
      local oa, od = split(om)
      if od == device then known = true end
      if explicit == '1' and string.sub(ov, 64, 64) == '1' and od == device and oa ~= asset then
        replaced[#replaced + 1] = om
        replaced[#replaced + 1] = ov
      else
        remaining = remaining + 1
        if oa == asset then onAsset = onAsset + 1 end
        if not devices[od] then
          devices[od] = true
          ndev = ndev + 1
        end
      end
    end
  end
  local function refuse(code, limit, active)
    finish(s, h, t, uk)
    return {'refused', expired, {code, tostring(limit), tostring(active)}, current}
  end
  if maxU > 0 and remaining >= maxU then return refuse('1050', maxU, remaining) end
  if maxA > 0 and onAsset >= maxA then return refuse('1051', maxA, onAsset) end
  if maxD > 0 and (not known) and ndev >= maxD then return refuse('1052', maxD, ndev) end
  for i = 1, #replaced, 2 do
    redis.call('ZREM', s, replaced[i])
    redis.call('HDEL', h, replaced[i])
  end
  local seq = redis.call('HINCRBY', h, '\29seq', 1)
  local nv = exp .. ' ' .. now .. ' ' .. now .. ' ' .. explicit .. ' ' .. progress .. ' ' .. seq
  redis.call('HSET', h, m, nv)
  redis.call('ZADD', s, expMs, m)
  finish(s, h, t, uk)
  return {'admitted', expired, {m, nv}, replaced}
elseif cmd == 'stop' or cmd == 'end' then
  local s, h, t = KEYS[1], KEYS[2], KEYS[3]
  local uk, m = ARGV[5], ARGV[6]
  local expired = {}
  prune(s, h, t, uk, expired, false)
  local removed = '0'
  if redis.call('ZREM', s, m) == 1 then
    removed = '1'
    redis.call('HDEL', h, m)
    if cmd == 'end' then
      redis.call('HSET', h, '\30' .. m, ARGV[7])
      redis.call('ZADD', t, ARGV[8], m)
    end
  end
  finish(s, h, t, uk)
  return {removed, expired}
elseif cmd == 'snapshot' or cmd == 'count' then
  local out, n = {}, 0
  for _, uk in ipairs(redis.call('ZRANGE', index, 0, -1)) do
    local all = redis.call('HGETALL', P .. 'h:' .. uk)
    for i = 1, #all, 2 do
      local f, v = all[i], all[i + 1]
      if string.byte(f, 1) > 31 and string.sub(v, 1, 20) > now then
        n = n + 1
        if cmd == 'snapshot' then
          out[#out + 1] = uk
          out[#out + 1] = f
          out[#out + 1] = v
        end
      end
    end
  end
  if cmd == 'count' then return n end
  return out
elseif cmd == 'expire' then
  local uks = redis.call('ZRANGEBYSCORE', index, '-inf', nowMs, 'LIMIT', 0, tonumber(ARGV[5]))
  local expired = {}
  for _, uk in ipairs(uks) do
    local s, h, t = P .. 's:' .. uk, P .. 'h:' .. uk, P .. 't:' .. uk
    prune(s, h, t, uk, expired, true)
    finish(s, h, t, uk)
  end
  return {tostring(#uks), expired}
end
return redis.error_reply('oxm: unknown command ' .. tostring(cmd))
)LUA";

constexpr char Sep = '\x1f';
constexpr int ExpireBatch = 500;

QByteArray ns20(qint64 ns)
{
    return QByteArray::number(std::max<qint64>(0, ns)).rightJustified(20, '0');
}

QByteArray msOf(qint64 ns)
{
    return QByteArray::number(std::max<qint64>(0, ns) / 1000000);
}

QByteArray userKeyOf(const QString &tenant, const QString &userId)
{
    return tenant.toUtf8() + Sep + userId.toUtf8();
}

QByteArray memberOf(const StreamKey &key)
{
    return key.assetId.toUtf8() + Sep + key.device.toUtf8();
}

[[noreturn]] void malformed(const char *what)
{
    throw std::runtime_error(std::string("unexpected reply from the Redis script: ") + what);
}

const RedisReply &element(const RedisReply &reply, qsizetype i)
{
    if (reply.type != RedisReply::Type::Array || i >= reply.elements.size())
        malformed("missing element");
    return reply.elements.at(i);
}

/// A stream from its user key, member and hash value; `seq` receives its admission number.
ActiveStream parseStream(const QByteArray &uk, const QByteArray &member, const QByteArray &value, qint64 *seq)
{
    const qsizetype u = uk.indexOf(Sep);
    const qsizetype m = member.indexOf(Sep);
    const QList<QByteArray> f = value.split(' ');
    if (u < 0 || m < 0 || f.size() != 6)
        malformed("stream record");
    ActiveStream s;
    s.key.tenant = QString::fromUtf8(uk.left(u));
    s.key.userId = QString::fromUtf8(uk.mid(u + 1));
    s.key.assetId = QString::fromUtf8(member.left(m));
    s.key.device = QString::fromUtf8(member.mid(m + 1));
    s.expiresNs = f.at(0).toLongLong();
    s.startedNs = f.at(1).toLongLong();
    s.lastHeartbeatNs = f.at(2).toLongLong();
    s.explicitDevice = f.at(3) == "1";
    s.progress = f.at(4).toLongLong();
    if (seq)
        *seq = f.at(5).toLongLong();
    return s;
}

StreamKey keyOf(const QByteArray &uk, const QByteArray &member)
{
    const qsizetype u = uk.indexOf(Sep);
    const qsizetype m = member.indexOf(Sep);
    if (u < 0 || m < 0)
        malformed("stream key");
    return StreamKey{QString::fromUtf8(uk.left(u)), QString::fromUtf8(uk.mid(u + 1)),
                     QString::fromUtf8(member.left(m)), QString::fromUtf8(member.mid(m + 1))};
}

/// Streams from a flat [member, value, …] array, oldest admission first.
QList<ActiveStream> parseStreams(const QByteArray &uk, const RedisReply &flat)
{
    QList<std::pair<qint64, ActiveStream>> items;
    for (qsizetype i = 0; i + 1 < flat.elements.size(); i += 2) {
        qint64 seq = 0;
        ActiveStream s = parseStream(uk, flat.elements.at(i).string, flat.elements.at(i + 1).string, &seq);
        items.append({seq, std::move(s)});
    }
    std::stable_sort(items.begin(), items.end(), [](const auto &a, const auto &b) { return a.first < b.first; });
    QList<ActiveStream> out;
    out.reserve(items.size());
    for (auto &item : items)
        out.append(std::move(item.second));
    return out;
}

void appendExpired(const QByteArray &uk, const RedisReply &members, QList<StreamKey> *expired)
{
    if (!expired)
        return;
    for (const RedisReply &m : members.elements)
        expired->append(keyOf(uk, m.string));
}

} // namespace

const QByteArray &RedisActiveStreams::script()
{
    static const QByteArray s(LuaScript);
    return s;
}

RedisActiveStreams::RedisActiveStreams(const RedisClient::Url &url, QByteArray keyPrefix, int timeoutMs)
    : m_client(std::make_unique<RedisClient>(url, timeoutMs))
    , m_prefix(std::move(keyPrefix))
{
}

void RedisActiveStreams::ping()
{
    const RedisReply pong = m_client->command({QByteArrayLiteral("PING")});
    if (pong.isError())
        throw std::runtime_error("Redis PING failed: " + pong.string.toStdString());
    const RedisReply loaded = m_client->command({QByteArrayLiteral("SCRIPT"), QByteArrayLiteral("LOAD"), script()});
    if (loaded.isError())
        throw std::runtime_error("Redis SCRIPT LOAD failed: " + loaded.string.toStdString());
}

QString RedisActiveStreams::description() const
{
    return m_client->url().toString();
}

QList<QByteArray> RedisActiveStreams::userKeys(const QByteArray &uk) const
{
    return {m_prefix + "s:" + uk, m_prefix + "h:" + uk, m_prefix + "t:" + uk};
}

QList<QByteArray> RedisActiveStreams::baseArgs(const char *command, qint64 nowNs) const
{
    return {QByteArray(command), m_prefix, ns20(nowNs), msOf(nowNs)};
}

RedisReply RedisActiveStreams::run(const char *command, const QByteArray &uk, qint64 nowNs,
                                   const QList<QByteArray> &more) const
{
    QList<QByteArray> args = baseArgs(command, nowNs);
    args << more;
    return m_client->evalScript(script(), uk.isEmpty() ? QList<QByteArray>{} : userKeys(uk), args);
}

ActiveStreams::HeartbeatOutcome RedisActiveStreams::heartbeat(const StreamKey &key, bool explicitDevice,
                                                              const StreamPolicy &policy, qint64 progress,
                                                              qint64 nowNs, qint64 expiresNs)
{
    using Kind = HeartbeatOutcome::Kind;
    const QByteArray uk = userKeyOf(key.tenant, key.userId);
    const RedisReply reply =
        run("beat", uk, nowNs,
            {uk, memberOf(key), explicitDevice ? QByteArrayLiteral("1") : QByteArrayLiteral("0"),
             QByteArray::number(policy.maxPerUser), QByteArray::number(policy.maxPerAsset),
             QByteArray::number(policy.maxDevices), ns20(expiresNs), msOf(expiresNs),
             QByteArray::number(progress >= 0 ? progress : -1)});
    HeartbeatOutcome out;
    const QByteArray kind = element(reply, 0).string;
    appendExpired(uk, element(reply, 1), &out.expired);
    const RedisReply &third = element(reply, 2);
    if (kind == "refreshed" || kind == "admitted") {
        out.kind = kind == "admitted" ? Kind::Admitted : Kind::Refreshed;
        out.stream = parseStream(uk, element(third, 0).string, element(third, 1).string, nullptr);
        if (out.kind == Kind::Admitted)
            out.replaced = parseStreams(uk, element(reply, 3));
    } else if (kind == "tombstone") {
        out.kind = Kind::EndedByAdmin;
        out.tombstoneUntilNs = element(third, 0).string.toLongLong();
    } else if (kind == "refused") {
        out.kind = Kind::Refused;
        out.refusalCode = ErrorCode(element(third, 0).string.toInt());
        out.refusalLimit = element(third, 1).string.toInt();
        out.refusalActive = element(third, 2).string.toInt();
        out.current = parseStreams(uk, element(reply, 3));
    } else {
        malformed("heartbeat outcome");
    }
    return out;
}

bool RedisActiveStreams::stop(const StreamKey &key, qint64 nowNs, QList<StreamKey> *expired)
{
    const QByteArray uk = userKeyOf(key.tenant, key.userId);
    const RedisReply reply = run("stop", uk, nowNs, {uk, memberOf(key)});
    appendExpired(uk, element(reply, 1), expired);
    return element(reply, 0).string == "1";
}

bool RedisActiveStreams::endByAdmin(const StreamKey &key, qint64 nowNs, qint64 untilNs, QList<StreamKey> *expired)
{
    const QByteArray uk = userKeyOf(key.tenant, key.userId);
    const RedisReply reply = run("end", uk, nowNs, {uk, memberOf(key), ns20(untilNs), msOf(untilNs)});
    appendExpired(uk, element(reply, 1), expired);
    return element(reply, 0).string == "1";
}

QList<ActiveStream> RedisActiveStreams::activeStreams(const QString &tenant, const QString &userId, qint64 nowNs) const
{
    // A plain read: HGETALL of the user's hash, filtered by expiry.
    const QByteArray uk = userKeyOf(tenant, userId);
    const RedisReply all = m_client->command({QByteArrayLiteral("HGETALL"), m_prefix + "h:" + uk});
    if (all.isError())
        throw std::runtime_error("Redis HGETALL failed: " + all.string.toStdString());
    const QByteArray now = ns20(nowNs);
    RedisReply live;
    live.type = RedisReply::Type::Array;
    for (qsizetype i = 0; i + 1 < all.elements.size(); i += 2) {
        const QByteArray &field = all.elements.at(i).string;
        const QByteArray &value = all.elements.at(i + 1).string;
        if (field.isEmpty() || uchar(field.at(0)) < 0x20 || value.left(20) <= now)
            continue;
        live.elements << all.elements.at(i) << all.elements.at(i + 1);
    }
    return parseStreams(uk, live);
}

QList<ActiveStream> RedisActiveStreams::snapshot(qint64 nowNs) const
{
    const RedisReply reply = run("snapshot", {}, nowNs, {});
    // [UK, M, value, …] grouped by user, each user's streams oldest first.
    QList<ActiveStream> out;
    QHash<QByteArray, RedisReply> byUser;
    QList<QByteArray> order;
    for (qsizetype i = 0; i + 2 < reply.elements.size(); i += 3) {
        const QByteArray &uk = reply.elements.at(i).string;
        auto it = byUser.find(uk);
        if (it == byUser.end()) {
            it = byUser.insert(uk, RedisReply{RedisReply::Type::Array, {}, 0, {}});
            order.append(uk);
        }
        it->elements << reply.elements.at(i + 1) << reply.elements.at(i + 2);
    }
    for (const QByteArray &uk : std::as_const(order))
        out << parseStreams(uk, byUser.value(uk));
    return out;
}

qsizetype RedisActiveStreams::activeCount(qint64 nowNs) const
{
    const RedisReply reply = run("count", {}, nowNs, {});
    if (reply.type != RedisReply::Type::Integer)
        malformed("count");
    return qsizetype(reply.integer);
}

QList<StreamKey> RedisActiveStreams::expireStale(qint64 nowNs)
{
    QList<StreamKey> expired;
    // Bounded batches of users, so that one script never runs long.
    for (int round = 0; round < 20; ++round) {
        const RedisReply reply = run("expire", {}, nowNs, {QByteArray::number(ExpireBatch)});
        const RedisReply &pairs = element(reply, 1);
        for (qsizetype i = 0; i + 1 < pairs.elements.size(); i += 2)
            expired.append(keyOf(pairs.elements.at(i).string, pairs.elements.at(i + 1).string));
        if (element(reply, 0).string.toInt() < ExpireBatch)
            break;
    }
    return expired;
}

} // namespace oxm
