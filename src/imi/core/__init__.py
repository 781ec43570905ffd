"""What every domain, system and task stands on; names no domain or system.

checkpoint (the file format), config (typed configs), distributed, errors, images,
permutation, ssim, stats (the jsonl sink), text (tokenizer), viz.
"""
