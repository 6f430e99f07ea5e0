/**
 * Preloaded (`node --import`) into every process `npm run bench` measures, ours and the baseline
 * alike. On exit it writes the process's own resource usage to the file named by
 * SKEIN_BENCH_USAGE_FILE, so peak RSS and CPU time come from the kernel's accounting of the build
 * process itself, without /usr/bin/time (a fresh machine may lack it). Plain JavaScript on purpose:
 * the baseline is plain Eleventy and runs without tsx.
 */
import { writeFileSync } from "node:fs";

const target = process.env.SKEIN_BENCH_USAGE_FILE;
if (target) {
  process.on("exit", (code) => {
    // maxRSS is in kilobytes (KiB); CPU times are in microseconds.
    const { maxRSS, userCPUTime, systemCPUTime } = process.resourceUsage();
    writeFileSync(target, JSON.stringify({ code, maxRssKiB: maxRSS, userCpuMicros: userCPUTime, systemCpuMicros: systemCPUTime }));
  });
}
