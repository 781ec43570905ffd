"""The generation task (text + context image → picture, paper 001): its model protocol, batch and recipe.

A generation benchmark's split has ``len`` and ``batch(indices)`` giving uint8 ``image`` and
``context`` ``(B, 3, H, W)`` (a scene and another scene of its album), the captions ``texts``, and what
each caption names: ``text_place``, ``text_kind``, ``text_person`` (long ``(B,)``, −1: not named); and
what each scene shows, ``place`` (long ``(B,)``) and ``people`` (bool ``(B, N)``), which the context
recognisers learn from (paper Algorithm 1).
Its domain gives ``parse_text`` (a sentence a user types → the same three fields), ``label_names``
and ``scene_ok`` (its judge's verdict on generated pictures).
"""
