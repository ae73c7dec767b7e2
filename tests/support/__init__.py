"""Test harness for yurt: real distributions, a real local index, and the real CLI."""
