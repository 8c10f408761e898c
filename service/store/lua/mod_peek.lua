-- The ids a claim would take next from one shard's view stream, oldest first, without taking
-- them: entries whose lease ran out (pending for at least the lease), then entries never
-- delivered. Every expired pending entry is older than every undelivered one, so the
-- concatenation is in id (time) order. An estimate: entries a filtered claim took ahead of the
-- group (XCLAIM FORCE in mod_claim.lua) count among the undelivered ones though the claim
-- script will skip them while their lease lasts; the claim then takes the next ones, or fewer,
-- and the caller's next round makes up for it.
-- KEYS[1] queue stream   ARGV[1] group   ARGV[2] lease (ms)   ARGV[3] how many
-- Returns the millisecond part of each id (integers are cheap to send and compare; entries of
-- the same millisecond in different shards may come in either order).
local q, group, want = KEYS[1], ARGV[1], tonumber(ARGV[3])
if redis.call('EXISTS', q) == 0 then
  return {}
end
local last = '0-0'
local groups = redis.call('XINFO', 'GROUPS', q)
for _, g in ipairs(groups) do
  for i = 1, #g, 2 do
    if g[i] == 'name' and g[i + 1] == group then
      for j = 1, #g, 2 do
        if g[j] == 'last-delivered-id' then last = g[j + 1] end
      end
    end
  end
end
local out = {}
if last ~= '0-0' then
  for _, p in ipairs(redis.call('XPENDING', q, group, 'IDLE', ARGV[2], '-', '+', want)) do
    out[#out + 1] = tonumber(string.match(p[1], '^(%d+)'))
  end
end
if #out < want then
  for _, e in ipairs(redis.call('XRANGE', q, '(' .. last, '+', 'COUNT', want - #out)) do
    out[#out + 1] = tonumber(string.match(e[1], '^(%d+)'))
  end
end
return out
