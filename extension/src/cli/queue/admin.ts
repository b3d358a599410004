/** `queue status | retry-failed | drain`: what the queue holds, and the two ways to change it. */
import { Queue } from 'bullmq';
import type IORedis from 'ioredis';
import type { SeriesJobData } from './jobs';

export interface QueueStatus {
  queue: string;
  counts: { waiting: number; active: number; delayed: number; done: number; failed: number };
  /** Series per second over the last completed jobs (up to 10 minutes back); null without enough. */
  throughput: number | null;
  /** Seconds until waiting + delayed + active are done at that throughput. */
  etaSeconds: number | null;
  lastFailures: Array<{ seriesInstanceUID: string; reason: string; attempts: number; failedAt: string | null }>;
}

const WINDOW_MS = 10 * 60 * 1000;

export async function queueStatus(connection: IORedis, queueName: string, failures = 10): Promise<QueueStatus> {
  const queue = new Queue<SeriesJobData>(queueName, { connection });
  try {
    const c = await queue.getJobCounts('waiting', 'prioritized', 'paused', 'active', 'delayed', 'completed', 'failed');
    const counts = {
      waiting: c.waiting + c.prioritized + c.paused,
      active: c.active,
      delayed: c.delayed,
      done: c.completed,
      failed: c.failed,
    };
    const recent = await queue.getJobs(['completed'], 0, 999, false);
    const now = Date.now();
    const finished = recent
      .map((j) => j.finishedOn ?? 0)
      .filter((t) => t > now - WINDOW_MS)
      .sort((a, b) => a - b);
    let throughput: number | null = null;
    if (finished.length >= 2) {
      const spanS = (finished[finished.length - 1] - finished[0]) / 1000;
      if (spanS > 0) throughput = (finished.length - 1) / spanS;
    }
    const left = counts.waiting + counts.delayed + counts.active;
    const etaSeconds = throughput ? left / throughput : left === 0 ? 0 : null;
    const failed = await queue.getJobs(['failed'], 0, failures - 1, false);
    return {
      queue: queueName,
      counts,
      throughput,
      etaSeconds,
      lastFailures: failed.map((j) => ({
        seriesInstanceUID: j.data?.seriesInstanceUID ?? String(j.id),
        reason: j.failedReason ?? '(no reason recorded)',
        attempts: j.attemptsMade,
        failedAt: j.finishedOn ? new Date(j.finishedOn).toISOString() : null,
      })),
    };
  } finally {
    await queue.close();
  }
}

export function formatStatus(s: QueueStatus): string {
  const { counts } = s;
  const eta = s.etaSeconds === null ? 'unknown (no recent throughput)' : formatDuration(s.etaSeconds);
  const lines = [
    `queue ${s.queue}: waiting ${counts.waiting}, active ${counts.active}, delayed (retry backoff) ${counts.delayed}, done ${counts.done}, failed ${counts.failed}`,
    `throughput: ${s.throughput === null ? 'n/a' : `${s.throughput.toFixed(2)} series/s (last 10 min)`}; ETA ${eta}`,
  ];
  if (s.lastFailures.length) {
    lines.push('last failures (dead-letter):');
    for (const f of s.lastFailures) lines.push(`  ${f.seriesInstanceUID} after ${f.attempts} tries: ${f.reason}`);
  }
  return `${lines.join('\n')}\n`;
}

function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} days`;
}

/** Failed jobs back to waiting (each gets its tries again); returns how many. */
export async function retryFailed(connection: IORedis, queueName: string): Promise<number> {
  const queue = new Queue(queueName, { connection });
  try {
    const before = await queue.getFailedCount();
    await queue.retryJobs({ state: 'failed', count: 1000 });
    return before - (await queue.getFailedCount());
  } finally {
    await queue.close();
  }
}

/** Removes waiting and delayed jobs (running ones finish); returns how many were removed. */
export async function drainQueue(connection: IORedis, queueName: string): Promise<number> {
  const queue = new Queue(queueName, { connection });
  try {
    const c = await queue.getJobCounts('waiting', 'prioritized', 'paused', 'delayed');
    await queue.drain(true);
    const after = await queue.getJobCounts('waiting', 'prioritized', 'paused', 'delayed');
    return Object.values(c).reduce((a, b) => a + b, 0) - Object.values(after).reduce((a, b) => a + b, 0);
  } finally {
    await queue.close();
  }
}
