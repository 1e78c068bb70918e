"""Plain domain objects: no I/O, no framework, nothing of ours imported."""
