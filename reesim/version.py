"""reesim's version: one place, importable from any layer without the package's lazy API."""

__version__ = "0.1.0"
