-- wrk posting real mutations to a running gateway: low-tier stock updates, each to its own
-- product, with the bearer key of a submitter. Every answer other than 201 is counted and the
-- first few are printed, so a run that measures refusals (401, 429, 422) says so.
--
--   AIRLOCK_KEY=… wrk -t2 -c64 -d10s -s scripts/wrk/post_mutations.lua http://127.0.0.1:8080
--
-- See BENCHMARKS.md ("wrk") for a server configuration that lets 64 connections of one principal
-- through (a rate limit of none, and the example pack's burst rules relaxed as bench serve does).

local key = os.getenv("AIRLOCK_KEY") or error("set AIRLOCK_KEY to a submitter's key")
local counter = 0
local threads = {}

function setup(thread)
    thread:set("id", #threads)
    table.insert(threads, thread)
end

function init(args)
    refused = 0
    shown = 0
end

function request()
    counter = counter + 1
    local product = 100000 + (id * 7919 + counter) % 900000
    local body = string.format(
        '{"resource":"catalog.product","operation":"update","target":"prod-%d","changes":{"stock":%d}}',
        product, counter % 500)
    return wrk.format("POST", "/v1/mutations", {
        ["Authorization"] = "Bearer " .. key,
        ["Content-Type"] = "application/json",
    }, body)
end

function response(status, headers, body)
    if status ~= 201 then
        refused = refused + 1
        if shown < 3 then
            shown = shown + 1
            io.stderr:write(string.format("answer %d: %s\n", status, body:sub(1, 200)))
        end
    end
end

function done(summary, latency, requests)
    local total = 0
    for _, thread in ipairs(threads) do
        total = total + thread:get("refused")
    end
    io.write(string.format("answers other than 201: %d of %d\n", total, summary.requests))
    io.write(string.format("latency p50 %.2f ms, p99 %.2f ms\n",
        latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
