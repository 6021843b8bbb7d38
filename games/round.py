"""What every game round is: a scene on the board's frames that ends with named scores.

A round is played the same way in the window and headless (`balance-trainer game NAME --headless`): each fixed
60 Hz step calls `update(dt_s)`, which takes the board's next `CopFrame` from its `BalanceInput` and advances the
game; `draw` paints it. When `finished`, `scores()` gives the round's scores (names as in docs/games.md) and
`truth_events()` what the round detected (taps, touch-downs, reps ...) with their times, for the recording.
A round never scores on missing data: while the board is STALE or DISCONNECTED it pauses (its own clock stops)
and `valid` turns False if the board never came back.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from games.scene import Scene
from hardware.sources import SourceState
from trainer.balance_input import STEP_S, BalanceInput, CopFrame

PAUSING_STATES = (SourceState.STALE, SourceState.DISCONNECTED, SourceState.CONNECTING)


@dataclass(frozen=True)
class RoundOptions:
    """The command line's round settings (DESIGN.md B.3 `game`)."""

    setup: str | None = None  # the game's set-up; None: the game's default
    leg: str = "right"  # stance or working leg: left | right
    level: int = 1
    eyes: str = "open"  # open | closed (closed: guided by sound alone)
    weight_kg: float | None = None  # body weight; None: measured on the board at the start
    seconds: float | None = None  # round length; None: the game's default for the level
    foam: bool = False  # standing on a foam pad (recorded with the scores; some levels need it)
    seed: int = 1  # cue order for random cues
    height_cm: float | None = None  # the person's height (clinical tests that need it: los)


def round_sink(game_round, record_sink):
    """The board's sample sink for a round: the recording's, and the round's own when it wants the raw samples."""
    if not getattr(game_round, "wants_samples", False):
        return record_sink
    if record_sink is None:
        return game_round.take_samples

    def both(samples) -> None:
        record_sink(samples)
        game_round.take_samples(samples)

    return both


@dataclass
class RoundEvent:
    t_s: float  # game time of the round
    kind: str  # tap, hit, miss, touch-down, rep, landing, pause, resume ...
    detail: str = ""


@dataclass
class RoundState:
    """Bookkeeping every round shares: its own clock, pauses, and the events it logged."""

    t_s: float = 0.0  # round time: advances only while the board delivers
    paused: bool = False
    pauses: int = 0
    events: list[RoundEvent] = field(default_factory=list)


class GameRound(Scene):
    """Base of the three games. Subclasses implement `on_frame(frame, dt_s)`, `draw_game(surface)` and `scores()`."""

    name = "game"
    setups: tuple[str, ...] = ()
    # Stored with every score (as "NAME/VERSION"): raise it when a change to the scoring changes results, so that
    # `balance-trainer rescore` knows which stored rounds to score again from their raw samples.
    score_version = 1
    kind = "game"  # or "test": a standardised clinical test (games/clinic/)
    wants_samples = False  # True: `take_samples(samples)` gets every raw sample too (tests decide on them)

    def __init__(self, board: BalanceInput, options: RoundOptions):
        if self.setups and options.setup is not None and options.setup not in self.setups:
            raise ValueError(f"{self.name}: set-up must be one of {', '.join(self.setups)}, not {options.setup!r}")
        self.board = board
        self.options = options
        self.setup = options.setup or (self.setups[0] if self.setups else None)
        self.round = RoundState()
        self.finished = False

    @classmethod
    def score_version_label(cls) -> str:
        return f"{cls.name}/{cls.score_version}"

    def log(self, kind: str, detail: str = "") -> None:
        self.round.events.append(RoundEvent(self.round.t_s, kind, detail))

    def update(self, dt_s: float = STEP_S) -> None:
        frame = self.board.step(dt_s)
        if frame.state is SourceState.ENDED and not self.finished:
            self.finished = True  # a replay ran out: the round ends with what it has
            return
        if frame.state in PAUSING_STATES:
            if not self.round.paused:
                self.round.paused = True
                self.round.pauses += 1
                self.log("pause", frame.state.value)
            return
        if self.round.paused:
            self.round.paused = False
            self.log("resume")
        self.round.t_s += dt_s
        self.on_frame(frame, dt_s)

    def on_frame(self, frame: CopFrame, dt_s: float) -> None:
        raise NotImplementedError

    def scores(self) -> dict[str, float]:
        raise NotImplementedError

    def draw(self, surface) -> None:
        self.draw_game(surface)

    def board_to_screen(self, x_mm: float, y_mm: float, size: tuple[int, int]) -> tuple[int, int]:
        """Window pixel of board point (x_mm, y_mm) where this round draws the board (the live view's board area;
        games with their own view override it). A ghost's marker is drawn with it."""
        from games.live_view import board_to_screen, board_view_rect

        return board_to_screen(x_mm, y_mm, self.board.geometry, board_view_rect(size))

    def draw_game(self, surface) -> None:
        raise NotImplementedError
