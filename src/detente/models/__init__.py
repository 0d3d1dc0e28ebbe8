"""Forecasting models; see :data:`detente.models.registry.MODELS`."""
