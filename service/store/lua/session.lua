-- A session and its user, in one round trip (both keys are in the user's slot).
-- KEYS[1] session hash   KEYS[2] user hash
-- Returns false for an unknown or expired session, else {session fields, user fields} as flat
-- field/value lists.
local session = redis.call('HGETALL', KEYS[1])
if #session == 0 then return false end
return {session, redis.call('HGETALL', KEYS[2])}
