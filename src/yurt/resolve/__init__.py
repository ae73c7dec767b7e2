"""Dependency resolution: version sets, the PubGrub solver, and explanations of failure."""
