"""Scoring of game rounds: pure functions over the round's arrays (time, corner loads, COP), one module per game,
each checked in the tests against recordings whose truth is known. The games call them; so can a re-scoring of
old rounds from their recording folders."""
