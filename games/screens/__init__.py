"""The trainer's screens (start, weighing, game choice, instruction cards, countdown, round, results, settings),
one concept per module; games.trainer_app puts them together."""
