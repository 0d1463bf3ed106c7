"""Thermal label printers speaking ZPL II: profiles, transports, ~HS status and sessions."""
