"""Training pieces: cache loading, batched augmentation on the training device, sampling, training
loop, evaluation. Everything works on CPU and GPU alike."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from build_cache import CT_CODE_HU, EIGHT_BIT_CT_WINDOWS
from model import build_model
from preprocess import channels_torch

LABEL_NAMES = ["OTHER", "HEAD", "NECK", "CHEST", "BREAST", "ABDOMEN", "PELVIS", "SPINE", "SHOULDER",
               "UPPER_ARM", "ELBOW", "FOREARM", "WRIST", "HAND", "HIP", "THIGH", "KNEE", "LOWER_LEG",
               "ANKLE", "FOOT"]
LEG = {LABEL_NAMES.index(n) for n in ("THIGH", "KNEE", "LOWER_LEG", "ANKLE", "FOOT")}
# Display windows that 8-bit exports and screenshots are commonly made with (HU).
DISPLAY_WINDOWS = [(-175, 275), (-160, 240), (-135, 215), (-300, 1300), (-500, 1500), (-1350, 150),
                   (-1000, 400), (0, 80), (-20, 180), (-250, 1250)]


@dataclass
class Data:
    codes: torch.Tensor      # [N, C, C] uint8
    is_ct: torch.Tensor      # [N] bool
    lo: torch.Tensor         # [N] float (non-CT decode)
    hi: torch.Tensor
    label: torch.Tensor      # [N] long
    eight_lo: torch.Tensor   # [N] float: window of 8-bit CT sources (nan when not 8-bit)
    eight_hi: torch.Tensor
    axial: torch.Tensor      # [N] bool
    render: torch.Tensor     # [N] bool: phantom render (train only, never evaluated)
    fov: torch.Tensor        # [N] float: mm spanned by the cached square (nan: pixel spacing unknown)
    meta: dict = field(default_factory=dict)  # numpy arrays: subject, source, split, series, modality

    def to(self, dev):
        for k in ("codes", "is_ct", "lo", "hi", "label", "eight_lo", "eight_hi", "axial", "render", "fov"):
            setattr(self, k, getattr(self, k).to(dev))
        return self


def series_spacing() -> dict[str, tuple[float, float]]:
    """(row_mm, col_mm) of every series of ../shared/data (nan when the source gave none)."""
    import csv
    import os
    from build_cache import DATA
    out = {}
    for mod in ("ct", "mr"):
        for r in csv.DictReader(open(os.path.join(DATA, mod, "series.csv"))):
            out[r["id"]] = (float(r["row_mm"] or "nan"), float(r["col_mm"] or "nan"))
    return out


def cache_fov(arrays: dict) -> np.ndarray:
    """The mm spanned by each cached (padded-square) slice: max(rows x row_mm, cols x col_mm)."""
    if "fov_mm" in arrays:
        return arrays["fov_mm"].astype(np.float32)
    sp = series_spacing()
    rows, cols = arrays["rows"].astype(np.float64), arrays["cols"].astype(np.float64)
    rmm = np.array([sp.get(s, (np.nan, np.nan))[0] for s in arrays["series"]])
    cmm = np.array([sp.get(s, (np.nan, np.nan))[1] for s in arrays["series"]])
    return np.maximum(rows * rmm, cols * cmm).astype(np.float32)


def load_data(path: str, extra: str | list[str] | None = None) -> Data:
    """The slice cache; `extra` appends other caches of the same format (phantom renders)."""
    z = np.load(path)
    arrays = {k: z[k] for k in z.files}
    arrays["fov_mm"] = cache_fov(arrays)
    for extra_path in [extra] if isinstance(extra, str) else (extra or []):
        e = np.load(extra_path)
        e = {k: e[k] for k in e.files}
        e["fov_mm"] = cache_fov(e)
        arrays = {k: np.concatenate([arrays[k], e[k]]) for k in arrays}
    src = arrays["source"]
    eight = arrays["eight_bit"]
    elo = np.full(len(src), np.nan, np.float32)
    ehi = np.full(len(src), np.nan, np.float32)
    for i in np.nonzero(eight)[0]:
        elo[i], ehi[i] = EIGHT_BIT_CT_WINDOWS.get(src[i], (-1000.0, 1000.0))
    return Data(
        codes=torch.from_numpy(arrays["images"]), is_ct=torch.from_numpy(arrays["modality"] == "CT"),
        lo=torch.from_numpy(arrays["lo"].astype(np.float32)), hi=torch.from_numpy(arrays["hi"].astype(np.float32)),
        label=torch.from_numpy(arrays["label"].astype(np.int64)), eight_lo=torch.from_numpy(elo),
        eight_hi=torch.from_numpy(ehi), axial=torch.from_numpy(arrays["orientation"] == "axial"),
        render=torch.from_numpy(arrays["kind"] == "render"), fov=torch.from_numpy(arrays["fov_mm"]),
        meta={k: arrays[k] for k in ("subject", "source", "split", "series", "modality", "slice", "kind")})


def decode_batch(d: Data, idx: torch.Tensor) -> torch.Tensor:
    """uint8 codes -> float32 modality values [B, 1, C, C]."""
    c = d.codes[idx].long()
    lut = torch.as_tensor(CT_CODE_HU, device=c.device)
    ct = lut[c]
    lo, hi = d.lo[idx].view(-1, 1, 1), d.hi[idx].view(-1, 1, 1)
    mr = lo + c.float() * ((hi - lo) / 255.0)
    return torch.where(d.is_ct[idx].view(-1, 1, 1), ct, mr).unsqueeze(1)


def sample_weights(d: Data, idx: np.ndarray, render_frac: float = 0.0) -> np.ndarray:
    """Real slices and phantom renders are balanced separately; renders get `render_frac` of the draws."""
    rend = d.render.cpu().numpy()[idx]
    w = np.zeros(len(idx), np.float64)
    if (~rend).any():
        w[~rend] = _balanced(d, idx[~rend]) * (1 - (render_frac if rend.any() else 0.0))
    if rend.any():
        w[rend] = _balanced(d, idx[rend]) * render_frac
    return w / w.sum()


def _balanced(d: Data, idx: np.ndarray) -> np.ndarray:
    """Balance by class and by subject: within a class each subject gets weight sqrt(its slices),
    and a class gets weight proportional to sqrt(its subjects) x const, flattening the class prior."""
    lab = d.label.cpu().numpy()[idx]
    subj = d.meta["subject"][idx]
    w = np.zeros(len(idx), np.float64)
    for c in np.unique(lab):
        m = lab == c
        subs, inv, cnt = np.unique(subj[m], return_inverse=True, return_counts=True)
        sw = np.sqrt(cnt) / np.sqrt(cnt).sum()               # subject share within class
        per = sw[inv] / cnt[inv]                              # per slice
        w[m] = per * (0.5 + np.sqrt(len(subs)))               # class share
    return w / w.sum()


# ------------------------------------------------------------------------------------------- aug

def _rand(b, lo, hi, dev):
    return torch.rand(b, device=dev) * (hi - lo) + lo


def gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    r = max(1, int(math.ceil(2 * sigma)))
    t = torch.arange(-r, r + 1, device=x.device, dtype=x.dtype)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    k = k / k.sum()
    x = F.conv2d(F.pad(x, (r, r, 0, 0), mode="replicate"), k.view(1, 1, 1, -1))
    return F.conv2d(F.pad(x, (0, 0, r, r), mode="replicate"), k.view(1, 1, -1, 1))


def body_centroid(x: torch.Tensor):
    """Centre and spread of the 'body' (pixels above 15 % of the range) in affine_grid coordinates."""
    b, _, h, w = x.shape
    mn = x.amin(dim=(2, 3), keepdim=True)
    mx = x.amax(dim=(2, 3), keepdim=True)
    m = (x > mn + 0.15 * (mx - mn)).float()[:, 0]
    ys = torch.linspace(-1, 1, h, device=x.device).view(1, h, 1)
    xs = torch.linspace(-1, 1, w, device=x.device).view(1, 1, w)
    n = m.sum(dim=(1, 2)).clamp_min(1)
    cy, cx = (m * ys).sum(dim=(1, 2)) / n, (m * xs).sum(dim=(1, 2)) / n
    sy = ((m * (ys - cy.view(-1, 1, 1)) ** 2).sum(dim=(1, 2)) / n).sqrt()
    sx = ((m * (xs - cx.view(-1, 1, 1)) ** 2).sum(dim=(1, 2)) / n).sqrt()
    return cy, cx, sy, sx


def geometric(x: torch.Tensor, label: torch.Tensor, axial: torch.Tensor, size: int, strong: bool,
              tight_p: float = 0.0, zoom_out_p: float = 0.0) -> torch.Tensor:
    """Random zoom / FOV crop, rotation, translation, flips; single-leg crops of two-leg slices;
    zoomed-out views (the body small in a large field of view, as when a scanner reconstructs legs
    or arms at a fixed 500 mm); resample to size x size, filling with each image's minimum (the
    spec's padding value)."""
    b, dev = x.shape[0], x.device
    if strong:
        scale = torch.exp(_rand(b, math.log(0.75), math.log(1.35), dev))   # >1 zooms in
        rot = _rand(b, -15, 15, dev) * math.pi / 180
        tx, ty = _rand(b, -0.12, 0.12, dev), _rand(b, -0.12, 0.12, dev)
        # one leg of a two-leg axial slice (REGIONS.md: leg labels hold for single-limb FOVs too)
        is_leg = torch.zeros(len(LABEL_NAMES), dtype=torch.bool, device=dev)
        is_leg[list(LEG)] = True
        leg = is_leg[label] & axial & (torch.rand(b, device=dev) < 0.25)
        scale = torch.where(leg, _rand(b, 1.6, 2.1, dev), scale)
        side = torch.where(torch.rand(b, device=dev) < 0.5, -1.0, 1.0)
        tx = torch.where(leg, side * _rand(b, 0.35, 0.55, dev), tx)
        # tight field of view around a point near the body's centre (small-FOV and cropped series)
        tight = (~leg) & (torch.rand(b, device=dev) < tight_p)
        if bool(tight.any()):
            cy, cx, sy, sx = body_centroid(x)
            scale = torch.where(tight, _rand(b, 1.5, 2.8, dev), scale)
            tx = torch.where(tight, cx + _rand(b, -0.7, 0.7, dev) * sx, tx)
            ty = torch.where(tight, cy + _rand(b, -0.7, 0.7, dev) * sy, ty)
        # zoomed out: the whole image shrunk to 25-70 % of the field, placed anywhere in it
        far = (~leg) & (~tight) & (torch.rand(b, device=dev) < zoom_out_p)
        if bool(far.any()):
            small = _rand(b, 0.25, 0.7, dev)
            room = 1 / small - 1
            scale = torch.where(far, small, scale)
            tx = torch.where(far, _rand(b, -1, 1, dev) * room, tx)
            ty = torch.where(far, _rand(b, -1, 1, dev) * room, ty)
        flip_x = torch.where(torch.rand(b, device=dev) < 0.5, -1.0, 1.0)
        flip_y = torch.where(torch.rand(b, device=dev) < 0.08, -1.0, 1.0)
    else:
        scale = torch.ones(b, device=dev)
        rot = tx = ty = torch.zeros(b, device=dev)
        flip_x = flip_y = torch.ones(b, device=dev)
    cos, sin = torch.cos(rot) / scale, torch.sin(rot) / scale
    theta = torch.stack([torch.stack([cos * flip_x, -sin, tx], 1), torch.stack([sin * flip_x, cos * flip_y, ty], 1)], 1)
    grid = F.affine_grid(theta, (b, 1, size, size), align_corners=False)
    mn = x.amin(dim=(2, 3), keepdim=True)
    out = F.grid_sample(x - mn, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return out + mn


def geometric_physical(x: torch.Tensor, label: torch.Tensor, axial: torch.Tensor, fov: torch.Tensor, size: int,
                       strong: bool, crop_p: float = 0.35, mm_per_pixel: float = 3.5) -> torch.Tensor:
    """br-pre-2 views of cached squares: every output pixel is mm_per_pixel wide when the spacing is known
    (the fallback of the spec, the whole square fitted, when it is not). Augmentation adds true-scale
    crops of large fields of view (75-260 mm around a body point, or one leg), which look like the
    dedicated limb, joint and small-FOV scans hospitals make; the view is centred on the crop as a
    scanner centres its field of view, and everything outside it is the fill value."""
    b, dev = x.shape[0], x.device
    known = torch.isfinite(fov)
    view_mm = size * mm_per_pixel
    base = torch.where(known, torch.nan_to_num(fov, nan=view_mm) / view_mm, torch.ones_like(fov))
    if not strong:
        scale, rot = base, torch.zeros(b, device=dev)
        tx = ty = torch.zeros(b, device=dev)
        flip_x = flip_y = torch.ones(b, device=dev)
        crop_half = torch.full((b,), 2.0, device=dev)
    else:
        as_unknown = known & (torch.rand(b, device=dev) < 0.1)       # the spec's fallback, seen in training too
        known = known & ~as_unknown
        base = torch.where(as_unknown, torch.ones_like(base), base)
        jitter = torch.where(known, torch.exp(_rand(b, math.log(0.87), math.log(1.15), dev)),
                             torch.exp(_rand(b, math.log(0.75), math.log(1.35), dev)))
        scale = base * jitter
        rot = _rand(b, -15, 15, dev) * math.pi / 180
        tx, ty = _rand(b, -0.12, 0.12, dev), _rand(b, -0.12, 0.12, dev)
        cy, cx, sy, sx = body_centroid(x)
        crop_half = torch.full((b,), 2.0, device=dev)                  # > 1: no crop
        # true-scale crops where the spacing is known
        crop_mm = torch.exp(_rand(b, math.log(75), math.log(260), dev))
        crop = known & (torch.rand(b, device=dev) < crop_p) & (crop_mm < 0.8 * torch.nan_to_num(fov, nan=0.0))
        is_leg = torch.zeros(len(LABEL_NAMES), dtype=torch.bool, device=dev)
        is_leg[list(LEG)] = True
        one_leg = crop & is_leg[label] & axial & (torch.rand(b, device=dev) < 0.5)
        side = torch.where(torch.rand(b, device=dev) < 0.5, -1.0, 1.0)
        px = torch.where(one_leg, cx + side * _rand(b, 0.8, 1.3, dev) * sx, cx + _rand(b, -0.7, 0.7, dev) * sx)
        py = torch.where(one_leg, cy + _rand(b, -0.3, 0.3, dev) * sy, cy + _rand(b, -0.7, 0.7, dev) * sy)
        tx, ty = torch.where(crop, px, tx), torch.where(crop, py, ty)
        crop_half = torch.where(crop, crop_mm / view_mm * jitter, crop_half)
        # unknown spacing: tight crops fitted to the frame, as br-pre-1 training did
        tight = (~known) & (torch.rand(b, device=dev) < 0.2)
        scale = torch.where(tight, scale * _rand(b, 1.5, 2.8, dev), scale)
        tx = torch.where(tight, cx + _rand(b, -0.7, 0.7, dev) * sx, tx)
        ty = torch.where(tight, cy + _rand(b, -0.7, 0.7, dev) * sy, ty)
        flip_x = torch.where(torch.rand(b, device=dev) < 0.5, -1.0, 1.0)
        flip_y = torch.where(torch.rand(b, device=dev) < 0.08, -1.0, 1.0)
    cos, sin = torch.cos(rot) / scale, torch.sin(rot) / scale
    theta = torch.stack([torch.stack([cos * flip_x, -sin, tx], 1), torch.stack([sin * flip_x, cos * flip_y, ty], 1)], 1)
    grid = F.affine_grid(theta, (b, 1, size, size), align_corners=False)
    mn = x.amin(dim=(2, 3), keepdim=True)
    out = F.grid_sample(x - mn, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    u = (torch.arange(size, device=dev, dtype=x.dtype) + 0.5) / size * 2 - 1
    h = crop_half.view(-1, 1, 1, 1)
    circle = (torch.rand(b, 1, 1, 1, device=dev) < 0.3) if strong else torch.zeros(b, 1, 1, 1, dtype=torch.bool, device=dev)
    inside_sq = (u.view(1, 1, -1, 1).abs() <= h) & (u.view(1, 1, 1, -1).abs() <= h)
    inside_circ = (u.view(1, 1, -1, 1) ** 2 + u.view(1, 1, 1, -1) ** 2) <= h ** 2
    out = out * torch.where(circle, inside_circ, inside_sq).to(out.dtype)
    return out + mn


def ct_intensity(x: torch.Tensor, d: Data, idx: torch.Tensor) -> torch.Tensor:
    """CT: jitter the uncertain windows of 8-bit sources, clip real HU to display windows so the two
    domains meet, calibration offset."""
    b, dev = x.shape[0], x.device
    elo, ehi = d.eight_lo[idx], d.eight_hi[idx]
    eight = ~torch.isnan(elo)
    if bool(eight.any()):
        w = ehi - elo
        nlo = elo + torch.randn(b, device=dev) * 0.06 * w
        nw = w * _rand(b, 0.85, 1.2, dev)
        y = nlo.view(-1, 1, 1, 1) + (x - elo.view(-1, 1, 1, 1)) * (nw / w).view(-1, 1, 1, 1)
        x = torch.where(eight.view(-1, 1, 1, 1), y, x)
    clip = (~eight) & (torch.rand(b, device=dev) < 0.25)
    if bool(clip.any()):
        win = torch.tensor(DISPLAY_WINDOWS, device=dev, dtype=x.dtype)[torch.randint(len(DISPLAY_WINDOWS), (b,), device=dev)]
        y = torch.maximum(torch.minimum(x, win[:, 1].view(-1, 1, 1, 1)), win[:, 0].view(-1, 1, 1, 1))
        x = torch.where(clip.view(-1, 1, 1, 1), y, x)
    x = x + torch.randn(b, 1, 1, 1, device=dev) * 10
    return x


def eight_bit_export(x: torch.Tensor, p: float) -> tuple[torch.Tensor, torch.Tensor]:
    """A share p of real-HU CT becomes what an 8-bit export (screenshot, secondary capture) in a
    display window looks like once read with the default window -1000..1000 HU (the evaluation's and
    a viewer's only choice when the window is unknown): brain, bone or lung windows stretched to the
    full range and quantised to 256 levels. Returns the images and which ones were changed."""
    b, dev = x.shape[0], x.device
    pick = torch.rand(b, device=dev) < p
    if not bool(pick.any()):
        return x, pick
    win = torch.tensor(DISPLAY_WINDOWS + [(0, 80), (-20, 100), (-600, 1600)], device=dev, dtype=x.dtype)
    w = win[torch.randint(len(win), (b,), device=dev)]
    y = window_export(x, w[:, 0].view(-1, 1, 1, 1), w[:, 1].view(-1, 1, 1, 1))
    return torch.where(pick.view(-1, 1, 1, 1), y, x), pick


def window_export(x: torch.Tensor, lo, hi) -> torch.Tensor:
    """HU shown in the window lo..hi, quantised to 8 bits, read back in the default -1000..1000 HU."""
    return -1000 + torch.round(((x - lo) / (hi - lo)).clamp(0, 1) * 255) * (2000 / 255)


def ct_to_pseudo_mr(x: torch.Tensor) -> torch.Tensor:
    """Random tissue-wise HU -> MR-like intensity map (air/cortical bone dark, fat bright or dark),
    to carry CT-only anatomy (ankle, foot, shoulder) into the MR input domain."""
    b, dev = x.shape[0], x.device
    knots = torch.tensor([-1024., -500., -100., 0., 60., 250., 700., 3071.], device=dev)
    vals = torch.stack([
        torch.zeros(b, device=dev) + _rand(b, 0, 0.05, dev),  # air
        _rand(b, 0.0, 0.15, dev),                            # lung
        _rand(b, 0.1, 1.0, dev),                             # fat (bright T1, dark fat-sat)
        _rand(b, 0.3, 1.0, dev),                             # fluid
        _rand(b, 0.2, 0.6, dev),                             # muscle / organs
        _rand(b, 0.2, 0.9, dev),                             # marrow / spongiosa
        _rand(b, 0.0, 0.1, dev),                             # cortical bone
        _rand(b, 0.0, 0.1, dev)], 1)
    xc = x.clamp(-1024, 3071)
    j = torch.bucketize(xc.contiguous(), knots).clamp(1, len(knots) - 1)
    k0, k1 = knots[j - 1], knots[j]
    t = (xc - k0) / (k1 - k0)
    bi = torch.arange(b, device=dev).view(-1, 1, 1, 1).expand_as(j)
    v0, v1 = vals[bi, j - 1], vals[bi, j]
    return (v0 + t * (v1 - v0)) * 1000


def mr_intensity(x: torch.Tensor) -> torch.Tensor:
    """MR: smooth multiplicative bias field, random gamma, occasional inversion, Rician-like noise."""
    b, dev, s = x.shape[0], x.device, x.shape[-1]
    mn = x.amin(dim=(2, 3), keepdim=True)
    mx = x.amax(dim=(2, 3), keepdim=True)
    y = (x - mn) / (mx - mn).clamp_min(1e-6)
    field_ = F.interpolate(torch.randn(b, 1, 4, 4, device=dev), size=(s, s), mode="bilinear", align_corners=False)
    y = y * torch.exp(field_ * _rand(b, 0, 0.35, dev).view(-1, 1, 1, 1))
    gamma = torch.exp(torch.randn(b, 1, 1, 1, device=dev) * 0.3)
    y = y.clamp_min(0) ** gamma
    inv = torch.rand(b, 1, 1, 1, device=dev) < 0.05
    y = torch.where(inv, 1 - y.clamp(0, 1), y)
    sig = _rand(b, 0, 0.04, dev).view(-1, 1, 1, 1)
    y = torch.sqrt((y + sig * torch.randn_like(y)) ** 2 + (sig * torch.randn_like(y)) ** 2)
    return y * 1000


def blur_sharpen_noise_ct(x: torch.Tensor) -> torch.Tensor:
    """Reconstruction kernel / slice thickness (blur or sharpen) and quantum noise."""
    b, dev = x.shape[0], x.device
    a = _rand(b, -0.8, 1.0, dev).view(-1, 1, 1, 1)
    x = x + a * (gaussian_blur(x, 1.0) - x)
    n = torch.randn_like(x)
    n = torch.where(torch.rand(b, 1, 1, 1, device=dev) < 0.5, gaussian_blur(n, 0.7) * 2.0, n)
    return x + n * _rand(b, 0, 30, dev).view(-1, 1, 1, 1)


def synthetic_other(b: int, size: int, dev) -> torch.Tensor:
    """Non-anatomy images (label OTHER): blank, noise, gradients, text/table-like screens, blobs."""
    out = torch.empty(b, 1, size, size, device=dev)
    kind = torch.randint(0, 5, (b,)).tolist()
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, size, device=dev), torch.linspace(-1, 1, size, device=dev), indexing="ij")
    for i, k in enumerate(kind):
        if k == 0:
            img = torch.full((size, size), float(np.random.uniform(-1024, 1000)), device=dev)
            img = img + torch.randn(size, size, device=dev) * float(np.random.choice([0.0, 1.0, 5.0]))
        elif k == 1:
            img = torch.randn(size, size, device=dev) * float(np.random.uniform(10, 500))
            if np.random.rand() < 0.5:
                img = gaussian_blur(img[None, None], float(np.random.uniform(0.5, 3)))[0, 0]
        elif k == 2:
            ang = np.random.uniform(0, 2 * np.pi)
            img = (math.cos(ang) * xx + math.sin(ang) * yy) * float(np.random.uniform(100, 1500))
        elif k == 3:  # screen capture: dark background, rows of bright "text" dashes, boxes
            img = torch.full((size, size), -1000.0, device=dev)
            for _ in range(np.random.randint(3, 15)):
                r0, c0 = np.random.randint(0, size - 4), np.random.randint(0, size - 8)
                h, w = np.random.randint(1, 4), np.random.randint(4, size // 2)
                img[r0:r0 + h, c0:c0 + w] = float(np.random.uniform(0, 2000))
        else:  # smooth blobs (3D-rendering / projection-like)
            img = F.interpolate(torch.randn(1, 1, 6, 6, device=dev), size=(size, size), mode="bicubic", align_corners=False)[0, 0]
            img = img.clamp_min(0) * float(np.random.uniform(200, 2000)) - 1000
        out[i, 0] = img
    return out


def make_batch(d: Data, idx: torch.Tensor, size: int, strong: bool = True, other_frac: float = 0.04,
               aug: str = "full", tight_p: float = 0.2, physical: bool = False, crop_p: float = 0.35,
               pseudo_mr_p: float = 0.15, eight_bit_p: float = 0.0, zoom_out_p: float = 0.0,
               eight_bit_trunk_only: bool = False):
    """Augmented, preprocessed batch: (input [B, 3, S, S], labels [B])."""
    x = decode_batch(d, idx)
    fov = d.fov[idx].clone()
    y = d.label[idx].clone()
    is_ct = d.is_ct[idx].clone()
    dev = x.device
    if strong and aug == "full":
        # pseudo-MR only from real HU (clipped 8-bit air would turn grey)
        p_pseudo = torch.where(d.render[idx], 0.5, pseudo_mr_p)   # renders stand in for missing MR limbs too
        pseudo = is_ct & torch.isnan(d.eight_lo[idx]) & (torch.rand(len(idx), device=dev) < p_pseudo)
        x = torch.where(is_ct.view(-1, 1, 1, 1), ct_intensity(x, d, idx), x)
        if eight_bit_p:
            real_hu = is_ct & torch.isnan(d.eight_lo[idx]) & ~pseudo
            if eight_bit_trunk_only:
                # head and trunk only: E1's exports of limbs came with its fold-1 collapse on two-leg CT
                real_hu = real_hu & (y >= 1) & (y <= 7) & ~d.render[idx]
            x8, changed = eight_bit_export(x, eight_bit_p)
            x = torch.where(real_hu.view(-1, 1, 1, 1), x8, x)
            no_spacing = real_hu & changed      # screenshots carry no pixel spacing either
            fov = torch.where(no_spacing, torch.full_like(fov, float("nan")), fov)
        if bool(pseudo.any()):
            x = torch.where(pseudo.view(-1, 1, 1, 1), ct_to_pseudo_mr(decode_batch(d, idx)), x)
            is_ct = is_ct & ~pseudo
    if physical:
        x = geometric_physical(x, y, d.axial[idx], fov, size, strong, crop_p if aug == "full" else 0.0)
    else:
        x = geometric(x, y, d.axial[idx], size, strong, tight_p if aug == "full" else 0.0,
                      zoom_out_p if aug == "full" else 0.0)
    if strong and aug == "light":
        x = x + torch.randn_like(x) * torch.where(is_ct, 10.0, 0.0).view(-1, 1, 1, 1)
    elif strong:
        ct = is_ct.view(-1, 1, 1, 1)
        x = torch.where(ct, blur_sharpen_noise_ct(x), mr_intensity(x))
        n_other = int(round(other_frac * len(idx)))
        if n_other:
            x[:n_other] = synthetic_other(n_other, size, dev)
            y[:n_other] = 0
            is_ct[:n_other] = torch.rand(n_other, device=dev) < 0.5
    return channels_torch(x, is_ct), y


# ------------------------------------------------------------------ domain generalisation (round 5)

def random_convolution(x: torch.Tensor, p: float) -> torch.Tensor:
    """RandConv (Xu et al., ICLR 2021): a share p of the network inputs goes through a freshly drawn
    random 3->3 convolution (kernel 1, 3, 5 or 7), blended with the input and brought back to the
    input's per-channel mean and spread, so that local texture and contrast stop being source cues
    while shapes stay."""
    b, c = x.shape[0], x.shape[1]
    pick = torch.rand(b, device=x.device) < p
    if not bool(pick.any()):
        return x
    k = int(np.random.choice([1, 3, 5, 7]))
    w = torch.randn(c, c, k, k, device=x.device) / math.sqrt(c * k * k)
    y = F.conv2d(x[pick], w, padding=k // 2)
    src = x[pick]
    mu, sd = src.mean(dim=(2, 3), keepdim=True), src.std(dim=(2, 3), keepdim=True)
    y = (y - y.mean(dim=(2, 3), keepdim=True)) / y.std(dim=(2, 3), keepdim=True).clamp_min(1e-6) * sd + mu
    alpha = torch.rand(y.shape[0], 1, 1, 1, device=x.device)
    out = x.clone()
    out[pick] = alpha * src + (1 - alpha) * y
    return out


def add_mixstyle(model: nn.Module, p: float, layers: tuple[int, ...] = (0, 2, 4), alpha: float = 0.1) -> list:
    """MixStyle (Zhou et al., ICLR 2021) as forward hooks on early feature blocks, training only: with
    probability p a batch's per-image channel statistics are blended with those of other images, so
    the net cannot tell sources (scanners, contrasts) apart by feature style. No parameters, so the
    exported graph and state dict are unchanged."""
    beta = torch.distributions.Beta(alpha, alpha)

    def hook(module, inp, out):
        if not module.training or np.random.rand() >= p:
            return out
        b = out.shape[0]
        mu = out.mean(dim=(2, 3), keepdim=True)
        sig = (out.var(dim=(2, 3), keepdim=True) + 1e-6).sqrt()
        mu, sig = mu.detach(), sig.detach()
        lam = beta.sample((b, 1, 1, 1)).to(out.device)
        perm = torch.randperm(b, device=out.device)
        mix_mu = lam * mu + (1 - lam) * mu[perm]
        mix_sig = lam * sig + (1 - lam) * sig[perm]
        return (out - mu) / sig * mix_sig + mix_mu

    return [model.features[i].register_forward_hook(hook) for i in layers]


# ---------------------------------------------------------------------------------------- train

@dataclass
class Config:
    arch: str = "plain-s"
    size: int = 128
    steps: int = 2000
    batch: int = 128
    lr: float = 3e-3
    wd: float = 5e-4
    label_smoothing: float = 0.05
    other_frac: float = 0.04
    seed: int = 0
    time_budget: float | None = None  # seconds; the schedule follows max(step, time) progress
    aug: str = "full"                 # "full" or "light" (geometry + noise only: ablation)
    tight_p: float = 0.2              # share of tight field-of-view crops
    phantom_frac: float = 0.0         # share of each batch drawn from phantom renders
    physical: bool = False            # br-pre-2 (physical mm per pixel) instead of br-pre-1
    crop_p: float = 0.35              # br-pre-2: share of true-scale crops
    pseudo_mr_p: float = 0.15         # share of real-HU CT drawn through the CT->pseudo-MR map
    eight_bit_p: float = 0.0          # share of real-HU CT turned into default-window 8-bit exports
    eight_bit_trunk_only: bool = False  # those exports only of head, neck and trunk images (round 8's E2)
    randconv_p: float = 0.0           # share of inputs through a random convolution (RandConv)
    mixstyle_p: float = 0.0           # probability per batch of MixStyle on the early feature blocks
    zoom_out_p: float = 0.0           # share of zoomed-out views (body small in a large field of view)


def train(d: Data, train_idx: np.ndarray, cfg: Config, dev: str = "cpu", log_every: int = 200, log=print) -> nn.Module:
    torch.manual_seed(cfg.seed)
    np.random.seed(cfg.seed)
    model = build_model(cfg.arch).to(dev).to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.wd)
    hooks = add_mixstyle(model, cfg.mixstyle_p) if cfg.mixstyle_p else []
    if not cfg.phantom_frac:
        train_idx = train_idx[~d.render.cpu().numpy()[train_idx]]
    w = torch.from_numpy(sample_weights(d, train_idx, cfg.phantom_frac))
    tidx = torch.from_numpy(train_idx)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=cfg.label_smoothing)
    use_amp = dev.startswith("cuda")
    t0, run = time.time(), 0.0
    model.train()
    step = 0
    while True:
        p = step / cfg.steps
        if cfg.time_budget:
            p = max(p, (time.time() - t0) / cfg.time_budget)
        if p >= 1:
            break
        lr = cfg.lr * (p / 0.05 if p < 0.05 else 0.5 * (1 + math.cos(math.pi * (p - 0.05) / 0.95)))
        for g in opt.param_groups:
            g["lr"] = lr
        pick = tidx[torch.multinomial(w, cfg.batch, replacement=True)].to(dev)
        with torch.no_grad():
            xb, yb = make_batch(d, pick, cfg.size, True, cfg.other_frac, cfg.aug, cfg.tight_p, cfg.physical, cfg.crop_p,
                                cfg.pseudo_mr_p, cfg.eight_bit_p, cfg.zoom_out_p, cfg.eight_bit_trunk_only)
            if cfg.randconv_p:
                xb = random_convolution(xb, cfg.randconv_p)
        xb = xb.contiguous(memory_format=torch.channels_last)
        if use_amp:
            with torch.autocast("cuda", dtype=torch.bfloat16):
                loss = loss_fn(model(xb).float(), yb)
        else:
            loss = loss_fn(model(xb), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        if log_every and step % log_every == 0:
            run = float(loss)
            log(f"  step {step}/{cfg.steps} loss {run:.3f} {step * cfg.batch / (time.time() - t0):.0f} img/s")
    for h in hooks:
        h.remove()
    model.steps_done = step
    model.eval()
    return model


@torch.no_grad()
def predict(model: nn.Module, d: Data, idx: np.ndarray, size: int, dev: str = "cpu", bs: int = 512,
            physical: bool = False, logits: bool = False) -> np.ndarray:
    """Softmax probabilities (or logits) on un-augmented inputs (the spec's preprocessing from the cache)."""
    model.eval()
    out = []
    for i in range(0, len(idx), bs):
        pick = torch.from_numpy(idx[i:i + bs]).to(dev)
        x = decode_batch(d, pick)
        if physical:
            x = geometric_physical(x, d.label[pick], d.axial[pick], d.fov[pick], size, strong=False)
        elif size != x.shape[-1]:
            x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
        xb = channels_torch(x, d.is_ct[pick]).contiguous(memory_format=torch.channels_last)
        z = model(xb).float().cpu()
        out.append(z if logits else torch.softmax(z, 1))
    return torch.cat(out).numpy()


def metrics(d: Data, idx: np.ndarray, prob: np.ndarray) -> dict:
    """Slice accuracy, subject-balanced accuracy, per-class recall (with subject counts), per-source accuracy."""
    y = d.label.cpu().numpy()[idx]
    p = prob.argmax(1)
    ok = p == y
    subj = d.meta["subject"][idx]
    src = d.meta["source"][idx]
    mod = d.meta["modality"][idx]
    per_subj = {s: float(ok[subj == s].mean()) for s in np.unique(subj)}
    per_class = {}
    for c in np.unique(y):
        m = y == c
        per_class[LABEL_NAMES[c]] = {"slices": int(m.sum()), "subjects": int(len(np.unique(subj[m]))),
                                     "recall": float(ok[m].mean()),
                                     "subject_recall": float(np.mean([ok[m & (subj == s)].mean() for s in np.unique(subj[m])]))}
    per_source = {s: {"slices": int((src == s).sum()), "acc": float(ok[src == s].mean())} for s in np.unique(src)}
    per_mod = {m_: float(ok[mod == m_].mean()) for m_ in np.unique(mod)}
    conf = np.zeros((20, 20), np.int64)
    np.add.at(conf, (y, p), 1)
    return {"n": int(len(idx)), "acc": float(ok.mean()), "subject_acc": float(np.mean(list(per_subj.values()))),
            "per_modality": per_mod, "per_class": per_class, "per_source": per_source, "confusion": conf.tolist()}


def source_folds(d: Data, k: int, seed: int = 0) -> list[np.ndarray]:
    """Group k-fold over sources (CT and MR of one source stay together), balanced by slice count.
    Phantom renders are in no fold (always training material)."""
    real = ~d.render.cpu().numpy()
    src = d.meta["source"]
    names, counts = np.unique(src[real], return_counts=True)
    rng = np.random.RandomState(seed)
    order = sorted(range(len(names)), key=lambda i: (-counts[i], rng.rand()))
    load = np.zeros(k)
    fold_of = {}
    for i in order:
        f = int(np.argmin(load))
        fold_of[names[i]] = f
        load[f] += counts[i]
    fold = np.array([fold_of[s] if r else -1 for s, r in zip(src, real)])
    return [np.nonzero(fold == f)[0] for f in range(k)]
