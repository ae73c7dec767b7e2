"""yurt: a fast Python package installer and virtual-environment manager."""

__version__ = "0.1.0"
