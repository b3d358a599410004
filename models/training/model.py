"""Plain 3x3-convolution classifiers: in onnxruntime-web (wasm) plain convolutions run about 3x more
efficiently per multiply-add than depthwise MobileNet blocks (FIELD-NOTES), so the net is a VGG-like
stack of conv-BN-ReLU blocks with stride-2 downsampling and global average pooling."""
from __future__ import annotations

import torch
import torch.nn as nn

NUM_CLASSES = 20


def conv_bn(cin: int, cout: int, stride: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class PlainCNN(nn.Module):
    """widths[i] is the width of stage i; each stage = one stride-2 conv (+ `extra` stride-1 convs)."""

    def __init__(self, widths=(16, 32, 64, 128, 256), extra=(0, 1, 1, 1, 0), dropout: float = 0.2,
                 num_classes: int = NUM_CLASSES):
        super().__init__()
        layers, cin = [], 3
        for w, e in zip(widths, extra):
            layers.append(conv_bn(cin, w, 2))
            layers += [conv_bn(w, w, 1) for _ in range(e)]
            cin = w
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(dropout), nn.Linear(cin, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.pool(self.features(x)))


ARCHS = {
    # ~50 M MACs at 128 px
    "plain-s": dict(widths=(16, 32, 64, 128, 256), extra=(0, 1, 1, 1, 0)),
    # wider, ~110 M MACs at 128 px
    "plain-m": dict(widths=(24, 48, 96, 160, 256), extra=(0, 1, 1, 1, 1)),
    # tiny, for smoke tests
    "plain-xs": dict(widths=(8, 16, 32), extra=(0, 0, 0)),
}


def build_model(arch: str) -> PlainCNN:
    return PlainCNN(**ARCHS[arch])


def count_macs(model: nn.Module, size: int) -> int:
    macs = 0

    def hook(m, inp, out):
        nonlocal macs
        if isinstance(m, nn.Conv2d):
            macs += out.numel() // out.shape[0] * m.in_channels // m.groups * m.kernel_size[0] * m.kernel_size[1]
        elif isinstance(m, nn.Linear):
            macs += m.in_features * m.out_features

    hs = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, 3, size, size))
    for h in hs:
        h.remove()
    return macs
