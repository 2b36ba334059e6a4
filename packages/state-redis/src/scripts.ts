/**
 * The two Lua scripts of the Redis store: one atomic read of everything a decision needs, one atomic commit
 * of everything it wrote. Both take their keys in KEYS and an encoded list in ARGV[2] whose entries name
 * keys by their 1-based KEYS index. Every number travels as a decimal string (Lua numbers are doubles and
 * `tostring` would print large ones in exponent form).
 *
 * @packageDocumentation
 */

/**
 * LOAD. ARGV[1]: the approval record key prefix; ARGV[2]: JSON list of reads:
 * `["h",k]` history (LRANGE), `["r",k,from,now]` rate count (ZCOUNT), `["b",k]` budget (HMGET c t m),
 * `["t",k]` taint members oldest first (ZRANGE), `["a",k]` approval JSON (GET), `["d",k]` the record the
 * digest key names, `["A",k]` every record the id list names, `["v",k]` vault (HGETALL). Returns one
 * reply per read, in order; a missing value is nil (Lua false).
 */
export const LOAD = `
local reads = cjson.decode(ARGV[2])
local out = {}
for i, r in ipairs(reads) do
  local t = r[1]
  local key = KEYS[tonumber(r[2])]
  if t == 'h' then
    out[i] = redis.call('LRANGE', key, 0, -1)
  elseif t == 'r' then
    out[i] = redis.call('ZCOUNT', key, r[3], r[4])
  elseif t == 'b' then
    out[i] = redis.call('HMGET', key, 'c', 't', 'm')
  elseif t == 't' then
    out[i] = redis.call('ZRANGE', key, 0, -1)
  elseif t == 'a' then
    out[i] = redis.call('GET', key)
  elseif t == 'd' then
    local id = redis.call('GET', key)
    if id then out[i] = redis.call('GET', ARGV[1] .. id) else out[i] = false end
  elseif t == 'A' then
    local ids = redis.call('LRANGE', key, 0, -1)
    local recs = {}
    for j, id in ipairs(ids) do recs[j] = redis.call('GET', ARGV[1] .. id) end
    out[i] = recs
  elseif t == 'v' then
    out[i] = redis.call('HGETALL', key)
  else
    return redis.error_reply('writ: unknown read ' .. tostring(t))
  end
end
return out
`;

/**
 * COMMIT. ARGV[1]: the approval record key prefix; ARGV[2]: JSON list of writes. Conditional writes:
 * `["r",k,from,now,limit,member,ttlMs]` rate hit if ZCOUNT [from, now] < limit (drops hits before `from`,
 * adds `member` at `now`, sets the TTL); `["b",k,dc,dt,dm,lc,lt,lm]` budget charge if every limited
 * dimension (limit not "") stays within its limit; `["v",kTok,kVal,token,text,valueKey]` vault token if
 * neither the token nor the value is taken otherwise; `["c",kDigest,kRec,kList,id,json]` approval create if
 * the digest's latest record is not pending, granted or rejected; `["s",kRec,json,status,nApprovals,nRejections]`
 * approval swap if the stored record still has that status and those counts. Unconditional:
 * `["B",k,dc,dt,dm]` budget add, `["h",k,json,max]` history append (trimmed to the last `max`),
 * `["t",k,kSeq,cap,member...]` taint add (re-adding moves a member to the newest; trimmed to `cap`),
 * `["u",k,at]` rate undo (removes one hit at `at`).
 *
 * Every check runs before any write: all or nothing. Returns `{conflict, c, t, m}`: `conflict` is the
 * 1-based index of the first write whose check failed (0: all applied), and `c t m` the usage before the
 * last budget charge checked (for the single-operation budgetCharge).
 */
export const COMMIT = `
local writes = cjson.decode(ARGV[2])
local live = { pending = true, granted = true, rejected = true }
local bc, bt, bm = '0', '0', '0'
local function over(used, delta, limit)
  if limit == '' then return false end
  return tonumber(used) + tonumber(delta) > tonumber(limit)
end
for i, w in ipairs(writes) do
  local t = w[1]
  local ok = true
  if t == 'r' then
    ok = redis.call('ZCOUNT', KEYS[tonumber(w[2])], w[3], w[4]) < tonumber(w[5])
  elseif t == 'b' then
    local u = redis.call('HMGET', KEYS[tonumber(w[2])], 'c', 't', 'm')
    bc, bt, bm = u[1] or '0', u[2] or '0', u[3] or '0'
    ok = not (over(bc, w[3], w[6]) or over(bt, w[4], w[7]) or over(bm, w[5], w[8]))
  elseif t == 'v' then
    local cur = redis.call('HGET', KEYS[tonumber(w[2])], w[4])
    if cur and cur ~= w[5] then ok = false end
    if ok and w[6] ~= '' then
      local tok = redis.call('HGET', KEYS[tonumber(w[3])], w[6])
      if tok and tok ~= w[4] then ok = false end
    end
  elseif t == 'c' then
    local id = redis.call('GET', KEYS[tonumber(w[2])])
    if id then
      local rec = redis.call('GET', ARGV[1] .. id)
      if rec and live[cjson.decode(rec).status] then ok = false end
    end
  elseif t == 's' then
    local rec = redis.call('GET', KEYS[tonumber(w[2])])
    if not rec then
      ok = false
    else
      local r = cjson.decode(rec)
      ok = r.status == w[4] and #r.approvals == tonumber(w[5]) and #r.rejections == tonumber(w[6])
    end
  end
  if not ok then return { i, bc, bt, bm } end
end
local function incr(key, field, d)
  if d == '0' then return end
  if string.find(d, '[%.eE]') then
    redis.call('HINCRBYFLOAT', key, field, d)
  else
    redis.call('HINCRBY', key, field, d)
  end
end
for _, w in ipairs(writes) do
  local t = w[1]
  local key = KEYS[tonumber(w[2])]
  if t == 'r' then
    redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. w[3])
    redis.call('ZADD', key, w[4], w[6])
    redis.call('PEXPIRE', key, w[7])
  elseif t == 'b' or t == 'B' then
    incr(key, 'c', w[3])
    incr(key, 't', w[4])
    incr(key, 'm', w[5])
  elseif t == 'v' then
    redis.call('HSET', key, w[4], w[5])
    if w[6] ~= '' then redis.call('HSET', KEYS[tonumber(w[3])], w[6], w[4]) end
  elseif t == 'c' then
    redis.call('SET', KEYS[tonumber(w[3])], w[6])
    redis.call('SET', key, w[5])
    redis.call('RPUSH', KEYS[tonumber(w[4])], w[5])
  elseif t == 's' then
    redis.call('SET', key, w[3])
  elseif t == 'h' then
    redis.call('RPUSH', key, w[3])
    redis.call('LTRIM', key, -tonumber(w[4]), -1)
  elseif t == 't' then
    local seq = KEYS[tonumber(w[3])]
    for j = 5, #w do redis.call('ZADD', key, redis.call('INCR', seq), w[j]) end
    local card = redis.call('ZCARD', key)
    local cap = tonumber(w[4])
    if card > cap then redis.call('ZREMRANGEBYRANK', key, 0, card - cap - 1) end
  elseif t == 'u' then
    local m = redis.call('ZRANGEBYSCORE', key, w[3], w[3], 'LIMIT', 0, 1)
    if #m > 0 then redis.call('ZREM', key, m[1]) end
  else
    return redis.error_reply('writ: unknown write ' .. tostring(t))
  end
end
return { 0, bc, bt, bm }
`;
