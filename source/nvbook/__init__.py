"""Build tooling for the book *nvmath-python by example*.

Chapters never import this package: it executes them, records provenance,
detects stale outputs and checks the built site.
"""

__version__ = "0.1.0"
