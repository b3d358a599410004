/**
 * Fetch-only comparison of ways to get a frame's pixels from the archive (no classification), on an
 * even sample of the series' frames, straight from Orthanc with `concurrency` requests in flight:
 *   - WADO-RS frame, uncompressed (Explicit VR LE), Accept-Encoding identity (what Node's xhr2 asks),
 *   - the same with Accept-Encoding gzip (what every browser asks; Orthanc compresses on the fly when its HTTP compression is on),
 *   - /rendered PNG scaled to the model's input size, one window and three windows.
 * Only the first two give the engine what br-pre-1 needs (HU values); /rendered is 8-bit and
 * windowed by the server, so it cannot give the same result and is listed for bytes and time only.
 */
import * as http from 'http';

export interface FetchVariant {
  name: string;
  /** True when the engine's preprocessing can use it and get the same result. */
  sameResult: boolean;
  frames: number;
  requests: number;
  seconds: number;
  framesPerSecond: number;
  /** Response body bytes per frame as sent (after Content-Encoding). */
  bytesPerFrame: number;
  note: string;
}

interface Request {
  path: string;
  headers: Record<string, string>;
}

function get(base: URL, r: Request): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: base.hostname, port: base.port, path: r.path, headers: r.headers }, (res) => {
      let n = 0;
      res.on('data', (c: Buffer) => (n += c.length));
      res.on('end', () => (res.statusCode === 200 ? resolve(n) : reject(new Error(`HTTP ${res.statusCode} for ${r.path}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

async function timed(base: URL, requests: Request[], concurrency: number): Promise<{ seconds: number; bytes: number }> {
  let next = 0;
  let bytes = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests.length) {
        // Not `bytes += await …`: that reads `bytes` before the await and loses the other workers' sums.
        const n = await get(base, requests[next++]);
        bytes += n;
      }
    }),
  );
  return { seconds: (performance.now() - t0) / 1000, bytes };
}

export async function measureFetchVariants(o: {
  orthancUrl: string;
  studyInstanceUID: string;
  seriesInstanceUID: string;
  sopInstanceUIDs: string[];
  size: number;
  frames: number;
  concurrency?: number;
}): Promise<FetchVariant[]> {
  const base = new URL(o.orthancUrl);
  const n = Math.min(o.frames, o.sopInstanceUIDs.length);
  const sample = Array.from({ length: n }, (_, i) => o.sopInstanceUIDs[Math.floor(((i + 0.5) * o.sopInstanceUIDs.length) / n)]);
  const framePath = (sop: string) => `/dicom-web/studies/${o.studyInstanceUID}/series/${o.seriesInstanceUID}/instances/${sop}/frames/1`;
  const raw = 'multipart/related; type="application/octet-stream"; transfer-syntax=1.2.840.10008.1.2.1';
  const windows = ['0,2000', '40,400', '750,1500']; // br-pre-1's three CT windows as centre,width
  const variants: Array<{ name: string; sameResult: boolean; perFrame: (sop: string) => Request[]; note: string }> = [
    {
      name: 'frames, uncompressed, identity',
      sameResult: true,
      perFrame: (s) => [{ path: framePath(s), headers: { Accept: raw, 'Accept-Encoding': 'identity' } }],
      note: 'what the Node path gets',
    },
    {
      name: 'frames, uncompressed, gzip',
      sameResult: true,
      perFrame: (s) => [{ path: framePath(s), headers: { Accept: raw, 'Accept-Encoding': 'gzip' } }],
      note: 'what a browser asks for (it always sends Accept-Encoding: gzip); an Orthanc with HTTP compression on compresses each frame on the fly',
    },
    {
      name: `rendered PNG ${o.size}², 1 window`,
      sameResult: false,
      perFrame: (s) => [
        {
          path: `${framePath(s)}/rendered?viewport=${o.size},${o.size}&window=${windows[0]},linear`,
          headers: { Accept: 'image/png', 'Accept-Encoding': 'identity' },
        },
      ],
      note: '8-bit, one window, server-side resize: not br-pre-1',
    },
    {
      name: `rendered PNG ${o.size}², 3 windows`,
      sameResult: false,
      perFrame: (s) =>
        windows.map((w) => ({
          path: `${framePath(s)}/rendered?viewport=${o.size},${o.size}&window=${w},linear`,
          headers: { Accept: 'image/png', 'Accept-Encoding': 'identity' },
        })),
      note: '8-bit per window (7.8 HU steps in the overview window), server-side resize: close to, not equal to, br-pre-1',
    },
  ];
  const out: FetchVariant[] = [];
  for (const v of variants) {
    const requests = sample.flatMap(v.perFrame);
    const { seconds, bytes } = await timed(base, requests, o.concurrency ?? 4);
    out.push({
      name: v.name,
      sameResult: v.sameResult,
      frames: n,
      requests: requests.length,
      seconds,
      framesPerSecond: n / seconds,
      bytesPerFrame: bytes / n,
      note: v.note,
    });
  }
  return out;
}
