"""Benchmarks over any domain (``imi bench``) and the report writer."""
