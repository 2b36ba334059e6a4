/**
 * The two Lua scripts of the Redis store: one atomic read of everything a decision needs, one atomic commit
 * of everything it wrote. Both take their keys in KEYS and a flat list of operations in ARGV: `ARGV[1]` is
 * the approval record key prefix, then each operation is `type, n, field1 … fieldn`, fields naming keys by
 * their 1-based KEYS index. No JSON is parsed in Lua (cjson rejects some strings JavaScript accepts, and it
 * costs time); every number travels as a decimal string (Lua numbers are doubles, and `tostring` would
 * print large ones in exponent form).
 *
 * Approval records are hashes: `r` the record's JSON, `f` its fingerprint `status|approvals|rejections`
 * (what compare-and-set compares).
 *
 * @packageDocumentation
 */

/**
 * LOAD. Reads: `h k` history (LRANGE), `n k` the history's append count (GET; nil: none yet), `r k from now` rate count (ZCOUNT from `from`: hits stamped after
 * `now` count too), `b k` budget (HMGET c t m),
 * `t k` taint members oldest first (ZRANGE), `a k` an approval record's JSON, `d k` the JSON of the record
 * the digest key names, `A k max` the JSON of the records the newest `max` ids of the id list name, `v k` vault (HGETALL). Returns
 * one reply per read, in order; a missing value is nil (Lua false).
 */
export const LOAD = `
local out = {}
local i = 2
local n = 0
while i <= #ARGV do
  local t = ARGV[i]
  local key = KEYS[tonumber(ARGV[i + 2])]
  n = n + 1
  if t == 'h' then
    out[n] = redis.call('LRANGE', key, 0, -1)
  elseif t == 'n' then
    out[n] = redis.call('GET', key)
  elseif t == 'r' then
    out[n] = redis.call('ZCOUNT', key, ARGV[i + 3], '+inf')
  elseif t == 'b' then
    out[n] = redis.call('HMGET', key, 'c', 't', 'm')
  elseif t == 't' then
    out[n] = redis.call('ZRANGE', key, 0, -1)
  elseif t == 'a' then
    out[n] = redis.call('HGET', key, 'r')
  elseif t == 'd' then
    local id = redis.call('GET', key)
    if id then out[n] = redis.call('HGET', ARGV[1] .. id, 'r') else out[n] = false end
  elseif t == 'A' then
    local ids = redis.call('LRANGE', key, -tonumber(ARGV[i + 3]), -1)
    local recs = {}
    for j, id in ipairs(ids) do recs[j] = redis.call('HGET', ARGV[1] .. id, 'r') end
    out[n] = recs
  elseif t == 'v' then
    out[n] = redis.call('HGETALL', key)
  else
    return redis.error_reply('writ: unknown read ' .. tostring(t))
  end
  i = i + 2 + tonumber(ARGV[i + 1])
end
return out
`;

/**
 * COMMIT. Conditional writes:
 * `r k from now limit member ttlMs trim` rate hit if the hits at or after `from` are fewer than `limit`
 * (then drops hits before `trim` — earlier than `from` by the skew slack, so a fast clock does not delete
 * hits other gateways still count — adds `member` at `now`, sets the TTL);
 * `b k dc dt dm lc lt lm` budget charge if every limited dimension (limit not "") stays within its limit;
 * `B k dc dt dm` budget add (checked only for range, as `b` is too: every stored value and delta an integer
 * string, every sum within ±2^53, so HINCRBY cannot fail in the write phase);
 * `v kTok kVal token text valueKey` vault token if neither the token nor the value (`valueKey`) is taken
 * otherwise (`valueKey` "": a non-standard token, only confirmed if already stored for `text`);
 * `c kDigest kRec kList id json fingerprint supersedes listMax` approval create (the id list trimmed to
 * its newest `listMax` ids) if the digest's latest record is
 * not pending, granted or rejected, or is the record `supersedes` (one whose requirements no longer cover
 * the call's);
 * `s kRec json fingerprint expectedFingerprint retentionMs` approval swap if the stored fingerprint is the
 * expected one (a record swapped to `used` or `expired` then expires after `retentionMs`);
 * `H kCount count` (writes nothing) if the history's append count is still `count`.
 * Unconditional: `h k json max kCount` history append (trimmed to the last `max`; INCR the append count);
 * `t k kSeq cap member…` taint add (re-adding moves a member to the newest; trimmed to `cap`);
 * `u k at` rate undo (removes one hit at `at`); `x kSet ttlMs name…` adds the key names to the session's key
 * set `kSet`, then sets the TTL of every key the set names and of the set (session state, when configured;
 * the names are not in KEYS, one more reason this store is not for Redis Cluster).
 *
 * Every check runs before any write: all or nothing. Returns `{conflict, c, t, m}`: `conflict` is the
 * 1-based index of the first write whose check failed (0: all applied), and `c t m` the usage before the
 * last budget charge checked (for the single-operation budgetCharge).
 */
export const COMMIT = `
local live = { pending = true, granted = true, rejected = true }
local bc, bt, bm = '0', '0', '0'
local function over(used, delta, limit)
  if limit == '' then return false end
  return tonumber(used) + tonumber(delta) > tonumber(limit)
end
-- An increment HINCRBY will take: both integer strings (no exponent, no fraction) and the sum within
-- +-2^53, so the write phase cannot fail half-way (Redis does not roll a script back).
local function int(x) return string.match(x, '^%-?%d+$') ~= nil and #x <= 17 end
local function addable(used, delta)
  if not (int(used) and int(delta)) then return false end
  local sum = tonumber(used) + tonumber(delta)
  return sum <= 9007199254740992 and sum >= -9007199254740992
end
local function usage_ok(key, a)
  local u = redis.call('HMGET', key, 'c', 't', 'm')
  bc, bt, bm = u[1] or '0', u[2] or '0', u[3] or '0'
  return addable(bc, ARGV[a + 1]) and addable(bt, ARGV[a + 2]) and addable(bm, ARGV[a + 3])
end
local starts = {}
local i = 2
while i <= #ARGV do
  starts[#starts + 1] = i
  i = i + 2 + tonumber(ARGV[i + 1])
end
for n, s in ipairs(starts) do
  local t = ARGV[s]
  local a = s + 2
  local ok = true
  if t == 'r' then
    ok = redis.call('ZCOUNT', KEYS[tonumber(ARGV[a])], ARGV[a + 1], '+inf') < tonumber(ARGV[a + 3])
  elseif t == 'b' then
    ok = usage_ok(KEYS[tonumber(ARGV[a])], a)
      and not (over(bc, ARGV[a + 1], ARGV[a + 4]) or over(bt, ARGV[a + 2], ARGV[a + 5]) or over(bm, ARGV[a + 3], ARGV[a + 6]))
  elseif t == 'B' then
    ok = usage_ok(KEYS[tonumber(ARGV[a])], a)
  elseif t == 'v' then
    local cur = redis.call('HGET', KEYS[tonumber(ARGV[a])], ARGV[a + 2])
    if cur and cur ~= ARGV[a + 3] then ok = false end
    -- A token not of the form <KIND_n> is only confirmed, never added.
    if ARGV[a + 4] == '' and not cur then ok = false end
    if ok and ARGV[a + 4] ~= '' then
      local tok = redis.call('HGET', KEYS[tonumber(ARGV[a + 1])], ARGV[a + 4])
      if tok and tok ~= ARGV[a + 2] then ok = false end
    end
  elseif t == 'c' then
    local id = redis.call('GET', KEYS[tonumber(ARGV[a])])
    if id and id ~= ARGV[a + 6] then
      local f = redis.call('HGET', ARGV[1] .. id, 'f')
      if f and live[string.match(f, '^[^|]*')] then ok = false end
    end
  elseif t == 's' then
    ok = redis.call('HGET', KEYS[tonumber(ARGV[a])], 'f') == ARGV[a + 3]
  elseif t == 'H' then
    ok = tonumber(redis.call('GET', KEYS[tonumber(ARGV[a])]) or '0') == tonumber(ARGV[a + 1])
  end
  if not ok then return { n, bc, bt, bm } end
end
local function incr(key, field, d)
  if d ~= '0' then redis.call('HINCRBY', key, field, d) end
end
for _, s in ipairs(starts) do
  local t = ARGV[s]
  local a = s + 2
  local key = KEYS[tonumber(ARGV[a])]
  if t == 'r' then
    redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. ARGV[a + 6])
    redis.call('ZADD', key, ARGV[a + 2], ARGV[a + 4])
    redis.call('PEXPIRE', key, ARGV[a + 5])
  elseif t == 'b' or t == 'B' then
    incr(key, 'c', ARGV[a + 1])
    incr(key, 't', ARGV[a + 2])
    incr(key, 'm', ARGV[a + 3])
  elseif t == 'v' then
    redis.call('HSET', key, ARGV[a + 2], ARGV[a + 3])
    if ARGV[a + 4] ~= '' then redis.call('HSET', KEYS[tonumber(ARGV[a + 1])], ARGV[a + 4], ARGV[a + 2]) end
  elseif t == 'c' then
    local rec = KEYS[tonumber(ARGV[a + 1])]
    if redis.call('EXISTS', rec) == 0 then
      local list = KEYS[tonumber(ARGV[a + 2])]
      redis.call('RPUSH', list, ARGV[a + 3])
      redis.call('LTRIM', list, -tonumber(ARGV[a + 7]), -1)
    end
    redis.call('HSET', rec, 'r', ARGV[a + 4], 'f', ARGV[a + 5])
    redis.call('SET', key, ARGV[a + 3])
  elseif t == 's' then
    redis.call('HSET', key, 'r', ARGV[a + 1], 'f', ARGV[a + 2])
    -- A used or expired record decides nothing any more (the digest's next call starts afresh): keep it
    -- for the retention period only.
    local status = string.match(ARGV[a + 2], '^[^|]*')
    if status == 'used' or status == 'expired' then redis.call('PEXPIRE', key, ARGV[a + 4]) end
  elseif t == 'h' then
    redis.call('RPUSH', key, ARGV[a + 1])
    redis.call('LTRIM', key, -tonumber(ARGV[a + 2]), -1)
    redis.call('INCR', KEYS[tonumber(ARGV[a + 3])])
  elseif t == 't' then
    local seq = KEYS[tonumber(ARGV[a + 1])]
    local last = s + 1 + tonumber(ARGV[s + 1])
    for j = a + 3, last do redis.call('ZADD', key, redis.call('INCR', seq), ARGV[j]) end
    local card = redis.call('ZCARD', key)
    local cap = tonumber(ARGV[a + 2])
    if card > cap then redis.call('ZREMRANGEBYRANK', key, 0, card - cap - 1) end
  elseif t == 'H' then
    -- a check only
  elseif t == 'x' then
    local last = s + 1 + tonumber(ARGV[s + 1])
    for j = a + 2, last do redis.call('SADD', key, ARGV[j]) end
    for _, m in ipairs(redis.call('SMEMBERS', key)) do redis.call('PEXPIRE', m, ARGV[a + 1]) end
    redis.call('PEXPIRE', key, ARGV[a + 1])
  elseif t == 'u' then
    local m = redis.call('ZRANGEBYSCORE', key, ARGV[a + 1], ARGV[a + 1], 'LIMIT', 0, 1)
    if #m > 0 then redis.call('ZREM', key, m[1]) end
  else
    return redis.error_reply('writ: unknown write ' .. tostring(t))
  end
end
return { 0, bc, bt, bm }
`;
