"""quartier.io."""
