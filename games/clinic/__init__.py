"""Clinical balance tests on the board (docs/clinic.md): standardised protocols on the games' engine."""
