"""Clinical balance tests: the protocols' numbers, normative tables and cut-offs (docs/clinic.md)."""
