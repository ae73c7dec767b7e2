"""The command line: parsing, dispatch and everything that prints."""
