/**
 * The confusion matrix as a self-contained SVG, written as text (no plotting dependency). Rows are
 * the truth, columns the prediction; a cell's shade is its share of the row (recall for diagonal
 * cells), its number the image count. Classes absent from both truth and prediction are left out.
 */

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** White → blue for 0 → 1 (diagonal) or white → red (off-diagonal errors). */
function shade(fraction: number, diagonal: boolean): string {
  const f = Math.max(0, Math.min(1, fraction));
  const mix = (from: number, to: number) => Math.round(from + (to - from) * f);
  return diagonal ? `rgb(${mix(255, 33)},${mix(255, 102)},${mix(255, 172)})` : `rgb(${mix(255, 203)},${mix(255, 24)},${mix(255, 29)})`;
}

export function confusionSvg(labels: readonly string[], matrix: readonly (readonly number[])[], title: string): string {
  const shown = labels.map((_, i) => i).filter((i) => matrix[i].some((v) => v > 0) || matrix.some((row) => row[i] > 0));
  const cell = 34;
  const left = 110;
  const top = 130;
  const width = left + cell * shown.length + 70; // room for the last rotated column label
  const height = top + cell * shown.length + 50;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="10" y="38" fill="#555">rows: truth, columns: prediction; shade = share of the row; numbers = images</text>`,
  );
  shown.forEach((c, j) => {
    const x = left + j * cell + cell / 2;
    out.push(`<text x="${x}" y="${top - 6}" transform="rotate(-60 ${x} ${top - 6})">${escapeXml(labels[c])}</text>`);
  });
  shown.forEach((r, i) => {
    const y = top + i * cell;
    const rowTotal = matrix[r].reduce((a, b) => a + b, 0);
    out.push(`<text x="${left - 6}" y="${y + cell / 2 + 4}" text-anchor="end">${escapeXml(labels[r])}</text>`);
    shown.forEach((c, j) => {
      const x = left + j * cell;
      const v = matrix[r][c];
      const fraction = rowTotal === 0 ? 0 : v / rowTotal;
      out.push(
        `<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${v === 0 ? 'white' : shade(fraction, r === c)}" stroke="#ccc"/>`,
      );
      if (v > 0) {
        const colour = fraction > 0.6 ? 'white' : 'black';
        out.push(`<text x="${x + cell / 2}" y="${y + cell / 2 + 4}" text-anchor="middle" fill="${colour}">${v}</text>`);
      }
    });
  });
  const total = matrix.reduce((a, row) => a + row.reduce((b, v) => b + v, 0), 0);
  const trace = matrix.reduce((a, row, i) => a + row[i], 0);
  out.push(`<text x="10" y="${height - 16}" fill="#555">${trace} of ${total} images on the diagonal</text>`, `</svg>`);
  return out.join('\n') + '\n';
}
