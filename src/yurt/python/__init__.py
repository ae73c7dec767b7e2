"""Find Python interpreters and describe each one once."""
