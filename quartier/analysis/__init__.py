"""quartier.analysis."""
