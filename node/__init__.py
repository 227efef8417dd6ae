"""Quartier: a self-hosted, federated neighbourhood network for municipalities."""

__version__ = "0.1.0"
