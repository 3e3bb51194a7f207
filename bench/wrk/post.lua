-- wrk script of the egovbus benchmark: POSTs one body and prints the results as JSON.
-- Environment (set by bench/bench.py):
--   BENCH_BODY          file whose content is the request body (required)
--   BENCH_CONTENT_TYPE  Content-Type of the body (application/json)
--   BENCH_SOAP_ACTION   SOAPAction header, for the SOAP back-end called directly
--   BENCH_API_KEY       the bus's API key (Authorization: Bearer), for calls to the bus
--   BENCH_ACCEPT        Accept header, when set
--   BENCH_DELAY_MS      when set, each connection waits a random 0.5x..1.5x this long before
--                       each request: a paced run (about connections * 1000 / delay req/s)
-- done() prints one line "BENCH_JSON {...}" with latencies in milliseconds.
local file = assert(io.open(assert(os.getenv("BENCH_BODY"), "BENCH_BODY is not set"), "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = os.getenv("BENCH_CONTENT_TYPE") or "application/json"
local action = os.getenv("BENCH_SOAP_ACTION")
if action and action ~= "" then wrk.headers["SOAPAction"] = action end
local key = os.getenv("BENCH_API_KEY")  -- calls to the bus carry its API key
if key and key ~= "" then wrk.headers["Authorization"] = "Bearer " .. key end
local accept = os.getenv("BENCH_ACCEPT")
if accept and accept ~= "" then wrk.headers["Accept"] = accept end

local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "")
if delay_ms and delay_ms > 0 then
  function setup(thread)
    thread:set("seed", math.random(1, 2 ^ 30))
  end
  function init(args)
    math.randomseed(seed or os.time())
  end
  function delay()
    return delay_ms * (0.5 + math.random())
  end
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local function ms(us) return us / 1000.0 end
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_s":%.3f,"rps":%.1f,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_ms":{"mean":%.3f,"p50":%.3f,"p90":%.3f,"p99":%.3f,"p99_9":%.3f,"max":%.3f}}\n',
    summary.requests, seconds, summary.requests / seconds, summary.bytes,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
    summary.errors.timeout,
    ms(latency.mean), ms(latency:percentile(50)), ms(latency:percentile(90)),
    ms(latency:percentile(99)), ms(latency:percentile(99.9)), ms(latency.max)))
end
