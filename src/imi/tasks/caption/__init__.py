"""The caption task (image + latent code → caption): its model protocol, batch, recipe interface, metrics.

A caption benchmark's split has ``len``, ``batch(indices)`` giving uint8 ``image`` ``(B, C, S, S)``,
every valid caption of each image as ``tokens`` ``(B, K, T)`` / ``lengths`` ``(B, K)``, and ``labels``
``(B, K)``; and ``caption_table()``: ``(tokens (N, T), lengths (N,))`` of every distinct caption it
uses (what a text autoencoder learns before the GAN). Its domain's ``caption_ok(texts, batch)``
judges generated captions.
"""
