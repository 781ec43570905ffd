"""The sampling task (noise → picture, the unconditional prior of SPEC-semantic §2): its model
protocol, batch and recipe.

A sampling benchmark's split has ``len`` and ``batch(indices)`` giving uint8 ``image`` ``(B, 3, S, S)``
(anything else it carries, such as label maps, is not read). Its domain gives ``features`` (a judge's
feature vectors: realism as FID).
"""
