// Preloaded into a benchmarked pp-sim process: reports its peak RSS (KiB) on exit.
process.on('exit', () => {
  process.stderr.write(`\nPPSIM_BENCH_MAXRSS ${process.resourceUsage().maxRSS}\n`);
});
