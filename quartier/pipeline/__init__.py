"""quartier.pipeline."""
