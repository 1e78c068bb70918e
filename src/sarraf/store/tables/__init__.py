"""Table definitions, one module per area, all on sarraf.store.metadata.metadata."""
