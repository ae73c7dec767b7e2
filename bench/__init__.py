"""Benchmark harness that times yurt against uv and pip/python, scenario by scenario."""
