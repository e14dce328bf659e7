import { readFileSync } from 'node:fs';
import os from 'node:os';

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** CPU time so far: the whole machine's busy time, and (given its pid) one process's, in ms. */
export function cpuSnapshot(pid) {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields;
  const machine = {
    busyMs: (user + nice + system + irq + softirq + steal) * TICK_MS,
    systemMs: (system + irq + softirq) * TICK_MS,
    idleMs: (idle + iowait) * TICK_MS,
  };
  if (pid === undefined) return { machine, processMs: null };
  // Fields after the command name (which may contain spaces): utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const after = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  return { machine, processMs: (after[11] + after[12]) * TICK_MS };
}

/** What was spent between two snapshots, per unit of work (ms per payment, say). */
export function cpuPerUnit(before, after, units) {
  const busy = after.machine.busyMs - before.machine.busyMs;
  const system = after.machine.systemMs - before.machine.systemMs;
  return {
    machineMs: busy / units,
    kernelShare: busy ? system / busy : 0,
    processMs: before.processMs === null ? null : (after.processMs - before.processMs) / units,
    cores: os.cpus().length,
  };
}
