"""What the user asks for (requirements files, pyproject.toml, arguments), read into one Manifest."""
