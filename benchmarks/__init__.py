"""Benchmarks kept in the repository (`make bench`), measured side by side with competitors."""
