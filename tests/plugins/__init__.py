"""A throwaway domain (``bars``) and system (``bar-net``) that live only in the tests.

They exist to prove that a benchmark and a system plug in through the registry
alone: ``tests/test_plugins.py`` registers them and runs train → eval → bench →
pipeline without editing a file under ``src/``.
"""
