"""quartier.review."""
