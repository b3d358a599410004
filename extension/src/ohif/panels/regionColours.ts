/**
 * One fixed colour per region label (labels.json names), so bars read the same in every series: the
 * defaults of the `bodyRegion.regionColours` customization (../appearance.ts).
 */
export const REGION_COLOURS: Readonly<Record<string, string>> = {
  OTHER: '#6b7280',
  HEAD: '#e6194b',
  NECK: '#f58231',
  CHEST: '#3cb44b',
  BREAST: '#fabed4',
  ABDOMEN: '#4363d8',
  PELVIS: '#911eb4',
  SPINE: '#ffe119',
  SHOULDER: '#42d4f4',
  UPPER_ARM: '#469990',
  ELBOW: '#dcbeff',
  FOREARM: '#9a6324',
  WRIST: '#fffac8',
  HAND: '#800000',
  HIP: '#aaffc3',
  THIGH: '#f032e6',
  KNEE: '#bfef45',
  LOWER_LEG: '#808000',
  ANKLE: '#ffd8b1',
  FOOT: '#a9a9a9',
};

export function regionColour(label: string, colours: Readonly<Record<string, string>> = REGION_COLOURS): string {
  return colours[label] ?? '#9ca3af';
}

/** Dark text on light fills, light text on dark ones. */
export function textColourOn(background: string): string {
  const hex = background.replace('#', '');
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return 0.299 * r + 0.587 * g + 0.114 * b > 150 ? '#111827' : '#f9fafb';
}
