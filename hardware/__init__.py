"""Boards: everything that produces LoadSample records (devices, recordings replayed, a simulated person)."""
