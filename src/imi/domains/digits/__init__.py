"""Digit manipulation benchmark (SPEC §2): glyphs, scenes, rendering, triplets, judge, evaluation."""
