-- Decide one comment, atomically: its status, its article's public list, the acknowledgement
-- and removal of its queue entries, the lease, and the audit entry all change, or nothing does.
-- KEYS[1] shard prefix   KEYS[2] comment hash   KEYS[3] audit stream   KEYS[4..] view streams
-- ARGV[1] group   ARGV[2] comment id   ARGV[3] approve | reject   ARGV[4] reason code
-- ARGV[5] note   ARGV[6] moderator id   ARGV[7] "1" when the moderator is an admin
-- ARGV[8] audit max length   ARGV[9] events channel   ARGV[10..] the views, as KEYS[4..]
-- Returns {outcome, state}; outcome: applied | same | conflict | claimed | missing; state is
-- HMGET s d dr dn dby dat lh le a.
local prefix, key, audit = KEYS[1], KEYS[2], KEYS[3]
local group, cid, action, reason, note = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local who, admin, maxlen, channel = ARGV[6], ARGV[7] == '1', ARGV[8], ARGV[9]
local STATE = {'s', 'd', 'dr', 'dn', 'dby', 'dat', 'lh', 'le', 'a'}
local st = redis.call('HMGET', key, 's', 'd', 'lh', 'le', 'a', 'u', 'rc')
if not st[1] then
  return {'missing', {}}
end
if st[2] then
  return {st[2] == action and 'same' or 'conflict', redis.call('HMGET', key, unpack(STATE))}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
-- Someone else's live lease: only an admin may decide over it; once it expired, anyone may.
if st[3] and st[3] ~= who and tonumber(st[4] or '0') > now and not admin then
  return {'claimed', redis.call('HMGET', key, unpack(STATE))}
end
local pub = prefix .. 'a:' .. st[5] .. ':pub'
if action == 'approve' then
  redis.call('ZADD', pub, 0, cid)
  redis.call('HSET', key, 's', 'approved')
else
  redis.call('ZREM', pub, cid)
  redis.call('HSET', key, 's', 'rejected')
end
-- rb: reports counted so far; the report threshold counts only reports after this decision.
redis.call('HSET', key, 'd', action, 'dr', reason, 'dn', note, 'dby', who, 'dat', now,
           'rb', st[7] or '0')
local views = {}
for i = 10, #ARGV do
  local view, q = ARGV[i], KEYS[i - 6]
  local entry = redis.call('HGET', key, 'q:' .. view)
  if entry then
    -- pcall: without a group (never claimed from) there is nothing to acknowledge.
    redis.pcall('XACK', q, group, entry)
    redis.call('XDEL', q, entry)
    redis.call('HDEL', key, 'q:' .. view)
    views[#views + 1] = view
  end
end
redis.call('HDEL', key, 'lh', 'le', 'lv')
-- The rules that fired on it, for the share approved per rule.
local rules = {}
local hits = redis.call('HGET', key, 'h')
if hits then
  local ok, decoded = pcall(cjson.decode, hits)
  if ok and type(decoded) == 'table' then
    for _, hit in ipairs(decoded) do
      if type(hit) == 'table' and type(hit.rule_id) == 'string' then
        rules[#rules + 1] = hit.rule_id
      end
    end
  end
end
-- When it was posted: the first 10 characters of its id are a ULID's 48-bit time (ms).
local posted = 0
for i = 1, 10 do
  posted = posted * 32 + string.find('0123456789ABCDEFGHJKMNPQRSTVWXYZ', string.sub(cid, i, i), 1, true) - 1
end
local f = {'act', action, 'by', 'm:' .. who, 'c', cid, 'a', st[5], 'u', st[6] or '',
           'why', reason, 'note', note, 'view', table.concat(views, ','),
           'wait', string.format('%d', now - posted), 'rules', table.concat(rules, ',')}
local aid = redis.call('XADD', audit, 'MAXLEN', '~', maxlen, '*', unpack(f))
local log = {id = aid}
for j = 1, #f, 2 do log[f[j]] = f[j + 1] end
redis.call('RPUSH', key .. ':log', cjson.encode(log))
redis.call('PUBLISH', channel, cjson.encode({type = 'decided', comment_id = cid, action = action,
  moderator_id = who, article_id = st[5]}))
return {'applied', redis.call('HMGET', key, unpack(STATE))}
