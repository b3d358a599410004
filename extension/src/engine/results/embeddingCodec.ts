/**
 * Per-image embeddings in results (`images[].embedding`): int8 with one scale per image, base64.
 * 256 floats become 344 characters (float32 would be 1,368): the results cache holds thousands of
 * images, and a linear head cannot tell the 0.4 % rounding apart. value ≈ q × scale.
 */

export interface EncodedEmbedding {
  /** base64 of Int8Array(dim). */
  q: string;
  /** max |value| / 127 (0 for an all-zero embedding). */
  scale: number;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Map([...B64].map((c, i) => [c, i]));

// Hand-written: Buffer is Node-only and btoa needs binary strings; both stages run in the browser worker too.
function toBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out +=
      B64[(n >> 18) & 63] +
      B64[(n >> 12) & 63] +
      (i + 1 < bytes.length ? B64[(n >> 6) & 63] : '=') +
      (i + 2 < bytes.length ? B64[n & 63] : '=');
  }
  return out;
}

function fromBase64(text: string): Uint8Array {
  const clean = text.replace(/=+$/, '');
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let value = 0;
  let o = 0;
  for (const c of clean) {
    const v = B64_INDEX.get(c);
    if (v === undefined) throw new Error(`embedding: invalid base64 character ${JSON.stringify(c)}`);
    value = (value << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (value >> bits) & 255;
    }
  }
  return out;
}

export function encodeEmbedding(values: ArrayLike<number>): EncodedEmbedding {
  let max = 0;
  for (let i = 0; i < values.length; i++) max = Math.max(max, Math.abs(values[i]));
  const scale = max / 127;
  const q = new Int8Array(values.length);
  if (scale > 0) for (let i = 0; i < values.length; i++) q[i] = Math.round(values[i] / scale);
  return { q: toBase64(new Uint8Array(q.buffer)), scale };
}

export function decodeEmbedding(encoded: EncodedEmbedding, out?: Float32Array, offset = 0): Float32Array {
  const bytes = fromBase64(encoded.q);
  const q = new Int8Array(bytes.buffer, 0, bytes.length);
  const target = out ?? new Float32Array(q.length);
  for (let i = 0; i < q.length; i++) target[offset + i] = q[i] * encoded.scale;
  return target;
}

/** Length (dimension) of an encoded embedding without decoding it. */
export function encodedLength(encoded: EncodedEmbedding): number {
  const pad = encoded.q.endsWith('==') ? 2 : encoded.q.endsWith('=') ? 1 : 0;
  return (encoded.q.length * 3) / 4 - pad;
}
