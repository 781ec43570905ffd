"""Evaluation: SSIM, the recogniser that judges edits, metrics, ``imi eval`` and ``imi analyze``."""
