"""The synthesis task (per-pixel label map → picture, SPEC-semantic §1): its model protocol, batch and recipe.

A synthesis benchmark's split has ``len`` and ``batch(indices)`` giving uint8 ``image`` ``(B, 3, S, S)``
and long ``labels`` ``(B, S, S)`` (class indices; the domain's ``label_names["classes"]`` names them).
Its domain gives ``segment`` (its segmenter: generated pictures read back into label maps).
"""
