"""Benchmarks: each bench_*.py has main() that prints JSON and writes bench/results/<name>.json."""
