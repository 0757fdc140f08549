-- wrk script (Benchmarks/service/bench.sh, part 4): every request asks for another one-patient query, a
-- random patient of store-bench's 900 (PAT-0 ... PAT-899) with a random minVolumeML in [0.5, 1.5), so
-- that (practically) no two requests share a response-cache entry: what an uncached request costs.
-- Each wrk thread has its own Lua state: seeded apart (by the thread's number), else the threads would
-- send the same sequence and every other request would be a cache hit.
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
function init(args)
  math.randomseed(os.time() * 100 + id)
end
request = function()
  local path = string.format("/lesions?patient=PAT-%d&minVolumeML=%.6f", math.random(0, 899), 0.5 + math.random())
  return wrk.format("GET", path)
end
