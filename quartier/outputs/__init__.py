"""quartier.outputs."""
