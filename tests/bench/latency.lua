-- wrk script: prints the latency percentiles wrk's `--latency` report leaves out (p95),
-- one line the benchmark reads:
--   percentiles_us p50 <us> p95 <us> p99 <us> requests <n> non2xx <n>

done = function(summary, latency, requests)
  io.write(string.format(
    "percentiles_us p50 %d p95 %d p99 %d requests %d non2xx %d\n",
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    summary.requests, summary.errors.status
  ))
end
