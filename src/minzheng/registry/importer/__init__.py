"""Excel/CSV import of households with their members (see service.py for the flow)."""
