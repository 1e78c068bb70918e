"""sandbox_bank."""
