"""Digits anywhere on a canvas: MNIST glyphs at a continuous position and size on 64×64, the benchmark whose
motion is exact (the drag editor's, SPEC-semantic §3)."""
