"""The marketplace's benchmarks: `python -m bench [--only relay,search] [--quick]`.

Every figure is the median of repeats and is reported as a ratio against a baseline measured
in the same run on the same machine (see docs/benchmarks.md)."""
