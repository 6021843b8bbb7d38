"""Games and screens (pygame-ce): scenes on a stack, updated at a fixed 60 Hz on the game's own clock and drawn at
the display rate. Scenes get their services (board input, fonts, clock) from the app; nothing here runs at import."""
