"""Source builds: metadata and wheels from sdists and local projects."""
