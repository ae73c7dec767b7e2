"""Create or keep virtual environments."""
