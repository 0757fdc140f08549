"""Small U-Net (2D or 3D) for the bundled demo models.

Only ONNX operators SegStation's engine supports are produced on export: Conv (stride 1 and 2),
ConvTranspose (kernel 2, stride 2), InstanceNormalization, LeakyRelu, Concat. The network returns
plain logits (no Softmax); the class count is 2 (background, whole tumour).

Input tensor layout: [N, C, D, H, W] for 3D and [N, C, H, W] for 2D, where for SegStation's volumes
(i fastest in memory) W = i, H = j, D = k. Spatial sizes must be divisible by 2**(levels-1).
"""
import torch
from torch import nn


def _layers(dim: int):
    if dim == 2:
        return nn.Conv2d, nn.ConvTranspose2d, nn.InstanceNorm2d
    if dim == 3:
        return nn.Conv3d, nn.ConvTranspose3d, nn.InstanceNorm3d
    raise ValueError(f"dim must be 2 or 3, got {dim}")


class ConvBlock(nn.Sequential):
    """Two (conv 3, instance norm, leaky ReLU 0.01) units; the first conv may stride by 2."""

    def __init__(self, dim: int, cin: int, cout: int, stride: int):
        conv, _, norm = _layers(dim)
        super().__init__(
            conv(cin, cout, 3, stride=stride, padding=1),
            norm(cout, affine=True),
            nn.LeakyReLU(0.01, inplace=True),
            conv(cout, cout, 3, stride=1, padding=1),
            norm(cout, affine=True),
            nn.LeakyReLU(0.01, inplace=True),
        )


class UNet(nn.Module):
    def __init__(self, dim: int, in_channels: int = 2, classes: int = 2, features=(16, 32, 64, 128)):
        super().__init__()
        _, convt, _ = _layers(dim)
        conv = _layers(dim)[0]
        self.encoders = nn.ModuleList()
        cin = in_channels
        for level, f in enumerate(features):
            self.encoders.append(ConvBlock(dim, cin, f, stride=1 if level == 0 else 2))
            cin = f
        self.ups = nn.ModuleList()
        self.decoders = nn.ModuleList()
        for level in range(len(features) - 1, 0, -1):
            self.ups.append(convt(features[level], features[level - 1], 2, stride=2))
            self.decoders.append(ConvBlock(dim, 2 * features[level - 1], features[level - 1], stride=1))
        self.head = conv(features[0], classes, 1)

    def forward(self, x):
        skips = []
        for enc in self.encoders:
            x = enc(x)
            skips.append(x)
        x = skips.pop()
        for up, dec in zip(self.ups, self.decoders):
            x = up(x)
            x = dec(torch.cat([x, skips.pop()], dim=1))
        return self.head(x)
