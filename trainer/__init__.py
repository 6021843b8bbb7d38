"""balance-trainer's numbers: COP kernels, measures, recordings, program and storage. Nothing runs at import."""

__version__ = "0.1.0"
