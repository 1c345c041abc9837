// Preloaded into a benchmarked process: reports its peak RSS (KiB) and CPU time (user+sys, µs) on exit.
process.on('exit', () => {
  const u = process.resourceUsage();
  process.stderr.write(`\nPPSIM_BENCH_MAXRSS ${u.maxRSS}\nPPSIM_BENCH_CPU_US ${u.userCPUTime + u.systemCPUTime}\n`);
});
