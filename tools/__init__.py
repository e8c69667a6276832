"""Development tools for the FTS connector (reference API server for tests and benchmarks)."""
