/**
 * Resident memory of a process from Linux /proc: current RSS, and the peak (VmHWM) since the last
 * reset. Writing "5" to /proc/<pid>/clear_refs resets the peak, so a peak can be taken per run
 * without sampling (sampling misses peaks while a process is busy in wasm).
 */
import * as fs from 'fs';

function statusKb(pid: number | 'self', field: 'VmRSS' | 'VmHWM'): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

export const rssMB = (pid: number | 'self' = 'self'): number | null => {
  const kb = statusKb(pid, 'VmRSS');
  return kb === null ? null : kb / 1024;
};

export const peakRssMB = (pid: number | 'self' = 'self'): number | null => {
  const kb = statusKb(pid, 'VmHWM');
  return kb === null ? null : kb / 1024;
};

/** True when the kernel accepted the reset (Linux ≥ 4.0, same user). */
export function resetPeakRss(pid: number | 'self' = 'self'): boolean {
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Renderer processes among the descendants of `rootPid` (Chromium's --type=renderer children). */
export function rendererPids(rootPid: number): number[] {
  const parent = new Map<number, number>();
  const renderers: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      parent.set(pid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=renderer')) renderers.push(pid);
    } catch {
      // process ended while we looked
    }
  }
  const descends = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 20; p = parent.get(p) ?? 0, hops++) if (p === rootPid) return true;
    return false;
  };
  return renderers.filter(descends);
}
