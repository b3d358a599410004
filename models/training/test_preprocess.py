"""Checks preprocess.py against the spec's written formulas (an independent loop implementation),
and the batched torch step 5 against the NumPy one.  Run: /usr/bin/python3 models/training/test_preprocess.py"""
import math
import os
import sys
import unittest

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from preprocess import MM_PER_PIXEL, channels_torch, other_channels, physical_resample, preprocess_frame, square_resized  # noqa: E402


def spec_resize_1d(n: int, s: int):
    idx = []
    for d in range(s):
        x = max((d + 0.5) * n / s - 0.5, 0.0)
        i0 = int(math.floor(x))
        idx.append((i0, min(i0 + 1, n - 1), x - i0))
    return idx


def spec_square_resized(m: np.ndarray, s: int) -> np.ndarray:
    rows, cols = m.shape
    n = max(rows, cols)
    canvas = np.full((n, n), m.min(), np.float64)
    top, left = (n - rows) // 2, (n - cols) // 2
    canvas[top:top + rows, left:left + cols] = m
    ix = spec_resize_1d(n, s)
    tmp = np.array([[(1 - w) * canvas[r, i0] + w * canvas[r, i1] for (i0, i1, w) in ix] for r in range(n)])
    return np.array([[(1 - w) * tmp[i0, c] + w * tmp[i1, c] for c in range(s)] for (i0, i1, w) in ix])


def spec_physical(m: np.ndarray, s: int, dr: float, dc: float) -> np.ndarray:
    """br-pre-2 steps 3-4 as the spec writes them, one output pixel at a time."""
    rows, cols = m.shape
    fill = float(m.min())

    def v(a, b):
        return float(m[a, b]) if 0 <= a < rows and 0 <= b < cols else fill

    out = np.zeros((s, s))
    for i in range(s):
        sy = (rows - 1) / 2 + (i + 0.5 - s / 2) * MM_PER_PIXEL / dr
        y0 = math.floor(sy)
        wy = sy - y0
        for j in range(s):
            sx = (cols - 1) / 2 + (j + 0.5 - s / 2) * MM_PER_PIXEL / dc
            x0 = math.floor(sx)
            wx = sx - x0
            out[i, j] = ((1 - wy) * (1 - wx) * v(y0, x0) + (1 - wy) * wx * v(y0, x0 + 1)
                         + wy * (1 - wx) * v(y0 + 1, x0) + wy * wx * v(y0 + 1, x0 + 1))
    return out


class PreprocessTest(unittest.TestCase):
    def test_physical_view_matches_spec_formula(self):
        rng = np.random.RandomState(2)
        for rows, cols, s, dr, dc in [(40, 60, 16, 0.9, 0.9), (30, 20, 24, 4.0, 2.5), (9, 9, 8, 3.5, 3.5), (64, 48, 20, 1.3, 0.7)]:
            m = rng.normal(size=(rows, cols)).astype(np.float32) * 100
            np.testing.assert_allclose(physical_resample(m, s, (dr, dc)), spec_physical(m, s, dr, dc), atol=1e-3)

    def test_physical_view_falls_back_without_spacing(self):
        m = np.arange(35, dtype=np.int16).reshape(5, 7) * 10
        for spacing in (None, (0.0, 1.0), (float("nan"), 1.0)):
            np.testing.assert_allclose(preprocess_frame(m, "MR", 6, version="br-pre-2", pixel_spacing=spacing),
                                       preprocess_frame(m, "MR", 6, version="br-pre-1"))


    def test_resize_matches_spec_formula(self):
        rng = np.random.RandomState(0)
        for rows, cols, s in [(20, 30, 16), (30, 20, 16), (7, 5, 12), (64, 64, 32), (50, 37, 50)]:
            m = rng.normal(size=(rows, cols)).astype(np.float32) * 100
            np.testing.assert_allclose(square_resized(m, s), spec_square_resized(m, s), atol=1e-3)

    def test_percentile_rule_and_flat_frame(self):
        r = np.arange(100, dtype=np.float32).reshape(10, 10)
        c = other_channels(r)[0]
        # v[floor(0.01*99)] = 0, v[floor(0.99*99)] = 98
        self.assertAlmostEqual(float(c.reshape(-1)[49]), 49 / 98, places=6)
        self.assertEqual(float(c.max()), 1.0)
        self.assertTrue((preprocess_frame(np.full((5, 9), 7, np.int16), "MR", 8) == 0).all())

    def test_monochrome1_inverts_mr_not_ct(self):
        f = np.arange(64, dtype=np.int16).reshape(8, 8)
        mr1 = preprocess_frame(f, "MR", 8, photometric="MONOCHROME1")
        mr2 = preprocess_frame(-f, "MR", 8)
        np.testing.assert_allclose(mr1, mr2)
        ct1 = preprocess_frame(f * 20, "CT", 8, photometric="MONOCHROME1")
        ct2 = preprocess_frame(f * 20, "CT", 8)
        np.testing.assert_allclose(ct1, ct2)

    def test_torch_channels_match_numpy(self):
        rng = np.random.RandomState(1)
        r = rng.normal(size=(4, 1, 24, 24)).astype(np.float32) * 500
        r[3] = 5.0  # flat
        is_ct = torch.tensor([True, False, True, False])
        got = channels_torch(torch.from_numpy(r), is_ct).numpy()
        from preprocess import channels
        for i in range(4):
            np.testing.assert_allclose(got[i], channels(r[i, 0], "CT" if bool(is_ct[i]) else "MR"), atol=1e-6)


if __name__ == "__main__":
    unittest.main()
