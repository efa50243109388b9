-- wrk script for bench/load/crm_load.py: GET requests whose paths are read from a file (one a
-- line, already URL-encoded), picked at random, with the session cookie; each response is
-- checked (2xx, and a body that found something), and done() prints one JSON line.
--   wrk -s crm_load.lua URL -- PATHS_FILE COOKIE EXPECT [THINK_MS]
-- EXPECT is a plain substring every good body contains (a customer was returned). THINK_MS > 0:
-- each connection waits a random time (exponential, that mean) before each request, so the
-- connections offer a set rate instead of as many requests as the server can answer.

local threads = {}

function setup(thread)
  thread:set("thread_index", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  paths = {}
  for line in io.lines(args[1]) do
    if line ~= "" then paths[#paths + 1] = line end
  end
  wrk.headers["Cookie"] = args[2]
  expect = args[3]
  think_ms = tonumber(args[4] or "0")
  math.randomseed(os.time() * 100 + thread_index)
  non_2xx = 0
  empty = 0
  checked = 0
end

function delay()
  if think_ms <= 0 then return 0 end
  return -think_ms * math.log(1 - math.random())
end

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end

function response(status, headers, body)
  checked = checked + 1
  if status < 200 or status > 299 then
    non_2xx = non_2xx + 1
  elseif not string.find(body, expect, 1, true) then
    empty = empty + 1
  end
end

function done(summary, latency, requests)
  local non, emp, chk = 0, 0, 0
  for _, thread in ipairs(threads) do
    non = non + thread:get("non_2xx")
    emp = emp + thread:get("empty")
    chk = chk + thread:get("checked")
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"p999_us": %d, "max_us": %d, "mean_us": %.1f, "non_2xx": %d, "empty": %d, "checked": %d, ' ..
    '"socket_errors": %d, "timeouts": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9), latency.max, latency.mean, non, emp, chk,
    e.connect + e.read + e.write, e.timeout))
end
