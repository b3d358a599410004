/**
 * The browser path: Debian's /usr/bin/chromium, headless, driven by playwright-core (never a browser
 * download). Each mode runs in a fresh browser context, so each starts from the same baseline:
 * load the page, load the model, collect garbage, then measure. Memory is the renderer process'
 * resident set from /proc (peak via VmHWM, which includes wasm memory and onnxruntime's worker
 * threads), and the JS heap from CDP Performance.getMetrics (sampled).
 */
import { chromium, type Browser, type CDPSession, type Page } from 'playwright-core';
import type { BenchServer } from './benchServer';
import type { HostModeResult, HostResult } from './hostResult';
import { medianInference, medianTimings, withCounters } from './hostResult';
import type { InferenceRun, Mode, ModeRun, RunOptions } from './measure';
import { peakRssMB, rendererPids, resetPeakRss, rssMB } from './procMemory';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface ChromiumBenchOptions extends RunOptions {
  server: BenchServer;
  studyInstanceUID: string;
  seriesInstanceUID: string;
  /** 0: what the page may use (hardwareConcurrency when cross-origin isolated). */
  threads: number;
  inferenceImages: number;
  /** Runs of fast mode and of the inference measurement (median reported); exhaustive runs once. */
  repeat?: number;
  log?: (s: string) => void;
}

interface LoadInfo {
  loadSeconds: number;
  crossOriginIsolated: boolean;
  threads: number;
  requestedThreads: number;
  hardwareConcurrency: number;
  userAgent: string;
}

type BenchWindow = {
  bench: {
    loadModel(threads: number): Promise<LoadInfo>;
    runMode(study: string, series: string, mode: Mode, opts: RunOptions): Promise<ModeRun>;
    inference(study: string, series: string, images: number, batchSize: number): Promise<InferenceRun>;
  };
};

async function browserPid(browser: Browser): Promise<number | null> {
  const cdp = await browser.newBrowserCDPSession();
  try {
    const info = (await cdp.send('SystemInfo.getProcessInfo')) as { processInfo: Array<{ type: string; id: number }> };
    return info.processInfo.find((p) => p.type === 'browser')?.id ?? null;
  } catch {
    return null;
  } finally {
    await cdp.detach();
  }
}

async function jsHeapMB(cdp: CDPSession): Promise<number | null> {
  const { metrics } = (await cdp.send('Performance.getMetrics')) as { metrics: Array<{ name: string; value: number }> };
  const used = metrics.find((m) => m.name === 'JSHeapUsedSize');
  return used ? used.value / 2 ** 20 : null;
}

async function openBenchPage(
  browser: Browser,
  o: ChromiumBenchOptions,
  errors: string[],
): Promise<{ page: Page; cdp: CDPSession; info: LoadInfo; close(): Promise<void> }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  await page.goto(`${o.server.url}/bench/index.html`);
  await page.waitForFunction(() => Boolean((globalThis as unknown as Partial<BenchWindow>).bench), undefined, { timeout: 60000 });
  const info = await page.evaluate((threads) => (globalThis as unknown as BenchWindow).bench.loadModel(threads), o.threads);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  return { page, cdp, info, close: () => context.close() };
}

export async function runChromiumBench(o: ChromiumBenchOptions): Promise<HostResult> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  const errors: string[] = [];
  const notes: string[] = [];
  try {
    const rootPid = await browserPid(browser);
    if (rootPid === null) notes.push('chromium: browser pid unknown, renderer memory not measured');
    const modes: Partial<Record<Mode, HostModeResult>> = {};
    let info: LoadInfo | null = null;
    let inference: InferenceRun | null = null;
    for (const mode of ['fast', 'exhaustive'] as Mode[]) {
      o.log?.(`chromium: ${mode}…`);
      const opened = await openBenchPage(browser, o, errors);
      info = opened.info;
      try {
        await opened.cdp.send('HeapProfiler.collectGarbage').catch(() => undefined);
        const pids = rootPid === null ? [] : rendererPids(rootPid);
        const baseline = new Map(pids.map((pid) => [pid, rssMB(pid)]));
        pids.forEach((pid) => resetPeakRss(pid));
        const heap0 = await jsHeapMB(opened.cdp);
        let heapPeak = heap0 ?? 0;
        let sampling = true;
        const sampler = (async () => {
          while (sampling) {
            const h = await jsHeapMB(opened.cdp).catch(() => null);
            if (h !== null) heapPeak = Math.max(heapPeak, h);
            await new Promise((r) => setTimeout(r, 100));
          }
        })();
        o.server.resetCounters();
        const runOpts: RunOptions = { batchSize: o.batchSize, concurrency: o.concurrency, requestConcurrency: o.requestConcurrency };
        const run = await opened.page.evaluate(
          ([study, series, m, opts]) => (globalThis as unknown as BenchWindow).bench.runMode(study, series, m, opts),
          [o.studyInstanceUID, o.seriesInstanceUID, mode, runOpts] as const,
        );
        sampling = false;
        await sampler;
        const counters = o.server.counters;
        // The page's renderer is the one that grew; with one page open there is one renderer.
        let best: { baseline: number; peak: number } | null = null;
        for (const pid of pids) {
          const b = baseline.get(pid);
          const p = peakRssMB(pid);
          if (b == null || p === null) continue;
          if (!best || p - b > best.peak - best.baseline) best = { baseline: b, peak: p };
        }
        const first: HostModeResult = {
          ...withCounters(run, counters),
          baselineMemoryMB: best?.baseline ?? null,
          peakMemoryMB: best?.peak ?? null,
          extraMemoryMB: best ? best.peak - best.baseline : null,
          jsHeapExtraMB: heap0 === null ? null : heapPeak - heap0,
        };
        // Repeats in the same page, for timing only (memory is the fresh page's first run).
        const more: ModeRun[] = [];
        for (let r = 1; mode === 'fast' && r < (o.repeat ?? 1); r++) {
          more.push(
            await opened.page.evaluate(
              ([study, series, m, opts]) => (globalThis as unknown as BenchWindow).bench.runMode(study, series, m, opts),
              [o.studyInstanceUID, o.seriesInstanceUID, mode, runOpts] as const,
            ),
          );
        }
        modes[mode] = medianTimings(first, more);
        if (mode === 'exhaustive') {
          o.log?.('chromium: inference throughput…');
          const runs: InferenceRun[] = [];
          for (let r = 0; r < Math.max(1, o.repeat ?? 1); r++) {
            runs.push(
              await opened.page.evaluate(
                ([study, series, images, batch]) => (globalThis as unknown as BenchWindow).bench.inference(study, series, images, batch),
                [o.studyInstanceUID, o.seriesInstanceUID, o.inferenceImages, o.batchSize ?? 16] as const,
              ),
            );
          }
          inference = medianInference(runs);
        }
      } finally {
        await opened.close();
      }
    }
    if (!info || !inference) throw new Error('chromium bench did not complete');
    let inferenceSingleThread: InferenceRun | undefined;
    if (info.threads > 1) {
      // Threads help only on an idle machine: measure one thread too, in a fresh page (the thread
      // count is fixed when onnxruntime-web first starts in a page).
      o.log?.('chromium: inference throughput, 1 thread…');
      const single = await openBenchPage(browser, { ...o, threads: 1 }, errors);
      try {
        const runs: InferenceRun[] = [];
        for (let r = 0; r < Math.max(1, o.repeat ?? 1); r++) {
          runs.push(
            await single.page.evaluate(
              ([study, series, images, batch]) => (globalThis as unknown as BenchWindow).bench.inference(study, series, images, batch),
              [o.studyInstanceUID, o.seriesInstanceUID, o.inferenceImages, o.batchSize ?? 16] as const,
            ),
          );
        }
        inferenceSingleThread = medianInference(runs);
      } finally {
        await single.close();
      }
    }
    notes.push(
      `chromium: ${info.userAgent.replace(/^.*(Chrome\/[\d.]+).*$/, '$1')}, crossOriginIsolated=${info.crossOriginIsolated}, hardwareConcurrency=${info.hardwareConcurrency}, wasm threads ${info.threads}; model load ${info.loadSeconds.toFixed(2)} s; each mode in a fresh browser context`,
    );
    if (errors.length) notes.push(`chromium page errors: ${errors.slice(0, 5).join(' | ')}`);
    return {
      host: 'chromium',
      threads: info.threads,
      crossOriginIsolated: info.crossOriginIsolated,
      modelLoadSeconds: info.loadSeconds,
      inference,
      inferenceSingleThread,
      fast: modes.fast!,
      exhaustive: modes.exhaustive!,
      notes,
    };
  } finally {
    await browser.close();
  }
}
