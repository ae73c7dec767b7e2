"""Package names, versions, tags and filenames, over `packaging`."""
