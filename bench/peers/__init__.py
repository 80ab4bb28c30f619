"""Benchmark peers: the same operations written with the tools users would pick instead.

Defined only for the benchmarks; nothing in src/ depends on them.
"""
