"""Polyphony's analysis engine: pure NumPy/SciPy, no Django.

Everything here takes plain arrays and returns plain data (dataclasses, dicts
of numbers and lists) so it can be imported, tested and benchmarked alone.
"""

ENGINE_VERSION = "0.1.0"
