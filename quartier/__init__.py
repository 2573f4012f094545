"""quartier: small-area housing and social monitoring for German municipalities."""

__version__ = "0.1.0"
