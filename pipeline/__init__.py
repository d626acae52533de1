"""vocmine processing: configuration, records, store, text processing and the CLI (the composition root)."""
