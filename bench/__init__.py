"""The benchmark (`make bench`, bench/bench.py) and its yardsticks: two hand-written SimPy models
(reference_queue.py, reference_daily_tick.py) that use no reesim code. See docs/benchmark.md."""
