"""The drag task (a picture's latent + dragged and pinned points → a new latent, SPEC-semantic §3): the
points and tokens every drag editor reads, the training batch of latent pairs, the model protocol, the
recipe interface, and the optimisation baseline (DragGAN-style) on the same generator.

Points are pixel-index coordinates ``(x, y)``: pixel ``(row i, column j)`` is centred at ``(j, i)``.
A drag domain gives ``drag_tasks`` (drags whose result its judge can read exactly), ``motion`` (where
points of one picture went in another, by its judge) and ``identity`` (whether the judge reads the same
object).
"""
