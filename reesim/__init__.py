"""reesim: a discrete-event simulator of export-licence scenarios for critical minerals."""

__version__ = "0.1.0"
