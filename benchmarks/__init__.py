"""Benchmark and soak scripts for the FTS connector (see README.md in this folder)."""
