"""cdsim: an agent-based simulation of collective defence among member states, on Mesa."""

__version__ = "0.3.0"
