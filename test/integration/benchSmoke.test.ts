/**
 * Smoke test of the benchmark's Node path (`npm run bench -- --quick --host node`): a 120-slice
 * whole-body CT series built from the shared volumes, stored in a real Orthanc, classified fast and
 * exhaustively with the shipped model. Checks the JSON report's structure and that the fast map
 * equals the exhaustive one. No timing is asserted: benchmarks are not tests.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../bench/main';
import { compareMaps } from '../bench/compareMaps';
import type { BenchReport } from '../bench/report';
import type { MapSegment } from '../bench/measure';

jest.setTimeout(600000);

const isNumber = (v: unknown) => typeof v === 'number' && Number.isFinite(v);

describe('npm run bench -- --quick --host node', () => {
  let dir: string;
  let report: BenchReport;
  let exitCode: number;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-'));
    const json = path.join(dir, 'report.json');
    exitCode = await main(['--quick', '--host', 'node', '--inference-images', '32', '--cache', path.join(dir, 'cache'), '--json', json]);
    report = JSON.parse(fs.readFileSync(json, 'utf8')) as BenchReport;
  });

  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes the documented JSON fields', () => {
    expect(report.schema).toBe('body-region-bench/1');
    expect(report.hosts).toEqual(['node']);
    expect(report.stack.slices).toBe(120);
    expect(report.fast.framesTotal).toBe(120);
    expect(report.exhaustive.framesFetched.node).toBe(120);
    expect(report.fast.framesFetched.node).toBeGreaterThan(0);
    expect(report.fast.framesFetched.node).toBeLessThan(120);
    expect(report.fast.framesFraction).toBeCloseTo((report.fast.framesFetched.node as number) / 120, 10);
    for (const v of [
      report.fast.wallSeconds.node,
      report.exhaustive.wallSeconds.node,
      report.exhaustive.imagesPerSecond.node,
      report.ratios.wallSeconds.node,
    ]) {
      expect(isNumber(v)).toBe(true);
      expect(v as number).toBeGreaterThan(0);
    }
    // Exhaustive mode fetches every frame: 120 × 512² × 2 bytes of pixels at least.
    expect(report.exhaustive.pixelBytes.node).toBe(120 * 512 * 512 * 2);
    expect(report.exhaustive.httpFrameBytes.node as number).toBeGreaterThanOrEqual(120 * 512 * 512 * 2);
    expect(report.fast.extraMemoryMB.node === null || isNumber(report.fast.extraMemoryMB.node)).toBe(true);
    // Chromium was not run: its fields are absent, and the browser targets are not judged.
    expect(report.fast.wallSeconds.chromium).toBeUndefined();
    expect(report.targets.map((t) => t.field)).toEqual([
      'fast.framesFraction',
      'fast.wallSeconds.chromium',
      'exhaustive.imagesPerSecond.chromium',
      'fast.extraMemoryMB.chromium',
      'exhaustive.extraMemoryMB.chromium',
    ]);
    expect(report.targets[0].met).toBe(report.fast.framesFraction <= 0.1);
    expect(report.targets[1].met).toBeNull();
    expect(report.fast.errors.node).toBeNull();
    expect(report.exhaustive.errors.node).toBeNull();
  });

  it('decodes the same region map in fast and exhaustive mode', () => {
    const fast = report.fast.segments.node as MapSegment[];
    const exhaustive = report.exhaustive.segments.node as MapSegment[];
    // A whole-body series: the map must have several regions, not one label throughout.
    expect(new Set(exhaustive.map((s) => s.label)).size).toBeGreaterThanOrEqual(4);
    expect(compareMaps(fast, exhaustive, 1)).toMatchObject({ equal: true, problems: [] });
    expect(report.correctness.node?.equal).toBe(true);
    expect(exitCode).toBe(0);
  });

  it('reports a fast map that differs from the exhaustive one as a mismatch', () => {
    const exhaustive = report.exhaustive.segments.node as MapSegment[];
    const moved = exhaustive.map((s, i) =>
      i === 1 ? { ...s, firstIndex: s.firstIndex + 2 } : i === 0 ? { ...s, lastIndex: s.lastIndex + 2 } : s,
    );
    expect(compareMaps(moved, exhaustive, 1).equal).toBe(false);
    expect(compareMaps(exhaustive.slice(1), exhaustive, 1).equal).toBe(false);
  });
});
