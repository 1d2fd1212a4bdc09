-- Extend the flusher lease KEYS[1] by ARGV[2] ms if owner ARGV[1] holds it; 1 when extended.
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
