#!/usr/bin/env python3
"""The architectures of tools/train_benchmark.cpp in Python PyTorch (Debian's python3-torch 1.13),
timed the same way: cnn2d (ResNet-GroupNorm on 128x128 crops, early-fusion MLP head) and attention
fusion on four 64-wide embeddings. Prints "<model> <samples/s>".
    python3 train_benchmark.py [threads] [steps]"""
import sys
import time

import torch
from torch import nn
import torch.nn.functional as F


def conv(cin, cout, k, stride):
    return nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=False)


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride, groups):
        super().__init__()
        self.conv1, self.conv2 = conv(cin, cout, 3, stride), conv(cout, cout, 3, 1)
        self.norm1, self.norm2 = nn.GroupNorm(min(groups, cout), cout), nn.GroupNorm(min(groups, cout), cout)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = conv(cin, cout, 1, stride)
            self.shortcut_norm = nn.GroupNorm(min(groups, cout), cout)

    def forward(self, x):
        y = torch.relu(self.norm1(self.conv1(x)))
        y = self.norm2(self.conv2(y))
        identity = x if self.shortcut is None else self.shortcut_norm(self.shortcut(x))
        return torch.relu(y + identity)


class ResNet(nn.Module):
    def __init__(self, cin, width=16, stages=3, blocks=1, groups=8):
        super().__init__()
        layers = [conv(cin, width, 3, 2), nn.GroupNorm(min(groups, width), width), nn.ReLU()]
        channels = width
        for stage in range(stages):
            out = channels if stage == 0 else channels * 2
            for block in range(blocks):
                layers.append(BasicBlock(channels if block == 0 else out, out, 2 if block == 0 and stage > 0 else 1, groups))
            channels = out
        self.body, self.features = nn.Sequential(*layers), channels

    def forward(self, x):
        return self.body(x).flatten(2).mean(2)


def mlp(cin, cout, hidden=64, dropout=0.2):
    return nn.Sequential(nn.Linear(cin, hidden), nn.LayerNorm(hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, cout))


class CnnEarly(nn.Module):
    """cnn2d encoder (views mean-pooled) -> early fusion (embedding + presence flag) -> softmax head."""

    def __init__(self):
        super().__init__()
        self.trunk = ResNet(1)
        self.out = nn.Linear(self.trunk.features, 64)
        self.mlp, self.head = mlp(64 + 1, 64), nn.Linear(64, 3)

    def forward(self, x, present):
        n, v = x.shape[:2]
        features = self.trunk(x.flatten(0, 1)).view(n, v, -1).mean(1)
        embedding = torch.where(present, self.out(features), torch.zeros(()))
        return self.head(F.gelu(self.mlp(torch.cat([embedding, present.float()], 1))))


class Layer(nn.Module):
    def __init__(self, dim=64, heads=4, dropout=0.1):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attention = nn.MultiheadAttention(dim, heads, dropout=dropout)
        self.feedforward = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Dropout(dropout), nn.Linear(2 * dim, dim))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, padding):
        normed = self.norm1(x)
        attended, weights = self.attention(normed, normed, normed, key_padding_mask=padding, need_weights=True)
        y = x + self.dropout(attended)
        return y + self.dropout(self.feedforward(self.norm2(y))), weights


class AttentionFusion(nn.Module):
    def __init__(self, modalities=4, width=64, dim=64, depth=2):
        super().__init__()
        self.tokens = nn.ModuleList(nn.Linear(width, dim) for _ in range(modalities))
        self.type_embedding = nn.Parameter(torch.randn(modalities, 1, dim) * 0.02)
        self.class_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.layers = nn.ModuleList(Layer(dim) for _ in range(depth))
        self.norm, self.head = nn.LayerNorm(dim), nn.Linear(dim, 3)

    def forward(self, embeddings, present):
        n = present.shape[0]
        tokens = [self.class_token.expand(1, n, -1)]
        for m, (e, project) in enumerate(zip(embeddings, self.tokens)):
            e = torch.where(present[:, m:m + 1], e, torch.zeros(()))
            tokens.append(project(e).unsqueeze(0) + self.type_embedding[m])
        x = torch.cat(tokens, 0)
        padding = torch.cat([torch.zeros(n, 1, dtype=torch.bool), ~present], 1)
        for layer in self.layers:
            x, weights = layer(x, padding)
        return self.head(self.norm(x[0]))


def samples_per_second(model, inputs, targets, steps):
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
    model.train()

    def step():
        optimizer.zero_grad()
        F.cross_entropy(model(*inputs), targets).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()

    for _ in range(3):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return steps * targets.shape[0] / (time.perf_counter() - start)


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    images, present = torch.randn(32, 1, 1, 128, 128), torch.ones(32, 1, dtype=torch.bool)
    print("cnn2d %.2f" % samples_per_second(CnnEarly(), (images, present), torch.arange(32) % 3, steps))
    embeddings, present = [torch.randn(64, 64) for _ in range(4)], torch.ones(64, 4, dtype=torch.bool)
    print("attention %.2f" % samples_per_second(AttentionFusion(), (embeddings, present), torch.arange(64) % 3, steps * 20))


if __name__ == "__main__":
    main()
