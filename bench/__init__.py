"""Benchmarks (not tests): `python3 bench/run.py [evaluation|streaming|live|rendering|startup|all] [--quick]`."""
