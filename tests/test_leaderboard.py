"""Leaderboards (docs/leaderboards.md): the pure rankings on hand-worked data, and the `leaderboard` command on a
seeded multi-user database, on SQLite and PostgreSQL (`store_url`)."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from trainer.cli import main
from trainer.leaderboard import (TIE_RULE, Round, badges_of, competition_ranks, counting, leaderboards, rank_among,
                                 streaks)
from trainer.program import Check, load_content
from trainer.store import open_store, records, sessions

D = dt.date
DATE = D(2026, 3, 11)  # a Wednesday; "this week" is Monday 2026-03-09 to Sunday 03-15; the 28 days: 02-12 to 03-11


@pytest.fixture(scope="module")
def content():
    return load_content()


def sl(player, date, value, level=1, **kw):
    return Round(player, date, "single-leg", None, level, {"time_in_zone_pct": value}, **kw)


# --- pure functions, answers worked out by hand -----------------------------------------------------------------

def test_competition_ranks_share_a_rank_skip_the_next_and_list_ties_alphabetically():
    # keys: larger is better. 9 > 7 = 7 = 7 > 3: ranks 1, 2, 2, 2, 5; the three 7s alphabetically (case-blind).
    ranked = competition_ranks([("zed", (7,)), ("Amy", (7,)), ("bob", (7,)), ("top", (9,)), ("low", (3,))])
    assert [(rank, name) for rank, name, _ in ranked] == [(1, "top"), (2, "Amy"), (2, "bob"), (2, "zed"), (5, "low")]
    # Two-part keys (days, streak): (5, 1) < (5, 3); (5, 3) twice ties.
    ranked = competition_ranks([("a", (5, 1)), ("b", (5, 3)), ("c", (5, 3))])
    assert [(rank, name) for rank, name, _ in ranked] == [(1, "b"), (1, "c"), (3, "a")]
    assert rank_among((8,), [(9,), (7,), (7,)]) == 2  # only 9 is strictly better
    assert rank_among((7,), [(9,), (7,), (7,)]) == 2  # ties share the rank
    assert rank_among((10,), []) == 1


def test_streaks_count_back_from_the_date_or_the_day_before():
    days = {D(2026, 3, 1), D(2026, 3, 2), D(2026, 3, 3), D(2026, 3, 5), D(2026, 3, 6)}
    assert streaks(days, D(2026, 3, 6)) == (2, 3)  # 5, 6 now; 1-3 the longest
    assert streaks(days, D(2026, 3, 7)) == (2, 3)  # nothing on the 7th yet: the streak to yesterday still stands
    assert streaks(days, D(2026, 3, 8)) == (0, 3)  # two days without: broken
    assert streaks(days, D(2026, 3, 2)) == (2, 2)  # as of the 2nd, the 3rd-6th have not happened
    assert streaks(set(), DATE) == (0, 0)


def test_only_complete_or_imported_valid_game_rounds_with_a_finite_followed_score_count(content):
    rounds = [sl("a", DATE, 50.0), sl("a", DATE, 51.0, status="imported"),
              sl("a", DATE, 90.0, valid=False), sl("a", DATE, 91.0, valid=None), sl("a", DATE, 92.0,
                                                                                   status="abandoned"),
              sl("a", DATE, 93.0, status="recording"), sl("a", DATE, float("nan")), sl("a", DATE, 94.0, kind="test"),
              Round("a", DATE, "single-leg", None, 1, {"other": 95.0}),
              sl("a", DATE + dt.timedelta(days=1), 96.0)]  # after the date: not yet
    assert [value for _, value in counting(rounds, content, DATE)] == [50.0, 51.0]


def _board(boards, game="single-leg", level=1):
    return next(b for b in boards if b.game == game and b.level == level)


def test_improvement_is_this_weeks_best_against_the_first_weeks_best(content):
    rounds = [
        # a: first week (02-09) best 44; this week best 55 -> 100 * 55 / 44 = 125.0 %
        sl("a", D(2026, 2, 10), 40.0), sl("a", D(2026, 2, 11), 44.0), sl("a", D(2026, 3, 9), 55.0),
        sl("a", D(2026, 3, 10), 50.0),
        # b: first week (02-16) 40; this week 50 -> 125.0 %: ties with a
        sl("b", D(2026, 2, 17), 40.0), sl("b", D(2026, 3, 11), 50.0),
        # c: 50 -> 80 = 160.0 %
        sl("c", D(2026, 2, 24), 50.0), sl("c", D(2026, 3, 9), 80.0),
        # d: no round this week: not ranked
        sl("d", D(2026, 2, 10), 10.0), sl("d", D(2026, 3, 5), 90.0),
        # e: first week is this week: 100.0 %
        sl("e", D(2026, 3, 9), 20.0),
    ]
    board = _board(leaderboards(rounds, dict.fromkeys("abcde", True), content, by="improvement", date=DATE))
    assert [(e.rank, e.name, e.values["improvement_pct"]) for e in board.rows] == [
        (1, "c", 160.0), (2, "a", 125.0), (2, "b", 125.0), (4, "e", 100.0)]
    assert board.rows[1].values["baseline"] == 44.0 and board.rows[1].values["baseline_week"] == D(2026, 2, 9)


def test_improvement_of_a_lower_is_better_score_and_the_zero_cases(content):
    def sd(player, date, value):
        return Round(player, date, "step-down", "step", 1, {"tempo_error_pct": value})

    first, now = D(2026, 3, 2), D(2026, 3, 10)
    rounds = [sd("p", first, 40.0), sd("p", now, 20.0),  # 100 * 40 / 20 = 200.0 %
              sd("q", first, 30.0), sd("q", now, 0.0),  # a perfect round: above every percentage
              sd("r", first, 0.0), sd("r", now, 10.0),  # 100 * 0 / 10 = 0.0 %: no division by zero needed
              sd("s", first, 0.0), sd("s", now, 0.0)]  # 0 then 0: no change, 100.0 %
    board = _board(leaderboards(rounds, dict.fromkeys("pqrs", True), content, by="improvement", date=DATE),
                   "step-down")
    assert [(e.rank, e.name, e.values["improvement_pct"]) for e in board.rows] == [
        (1, "q", None), (2, "p", 200.0), (3, "s", 100.0), (4, "r", 0.0)]
    assert board.rows[0].values["perfect"] is True
    # Higher is better from a zero baseline: no percentage; listed unranked with the reason.
    rounds = [sl("z", first, 0.0), sl("z", now, 30.0), sl("y", first, 0.0), sl("y", now, 0.0)]
    board = _board(leaderboards(rounds, {"z": True, "y": True}, content, by="improvement", date=DATE))
    assert [(e.rank, e.name, e.values["improvement_pct"]) for e in board.rows] == [(1, "y", 100.0)]
    assert [(e.name, e.note) for e in board.unranked] == [("z", "baseline 0: no percentage")]


def test_best_of_a_lower_is_better_score_ranks_the_smallest_first(content):
    def sd(player, date, value):
        return Round(player, date, "step-down", "step", 3, {"tempo_error_pct": value})

    # p's best is 12 (of 30, 12), q's 12.004 (shown 12.00: equal to p's), r's 8: r 1, then p and q share 2.
    rounds = [sd("p", D(2026, 3, 2), 30.0), sd("p", DATE, 12.0), sd("q", DATE, 12.004), sd("r", DATE, 8.0)]
    board = _board(leaderboards(rounds, dict.fromkeys("pqr", True), content, by="best", date=DATE), "step-down", 3)
    assert [(e.rank, e.name, e.values["best"]) for e in board.rows] == [(1, "r", 8.0), (2, "p", 12.0),
                                                                       (2, "q", 12.004)]


def test_opted_out_players_are_only_shown_to_themselves_without_moving_anybody(content):
    rounds = [sl("a", D(2026, 3, 2), 50.0), sl("a", DATE, 60.0),  # 120.0 %
              sl("b", D(2026, 3, 2), 50.0), sl("b", DATE, 55.0),  # 110.0 %
              sl("out", D(2026, 3, 2), 50.0), sl("out", DATE, 100.0)]  # 200.0 %, opted out
    rounds += [sl("out2", D(2026, 3, 2), 0.0), sl("out2", DATE, 10.0)]  # opted out, would be listed unranked
    opted = {"a": True, "b": True, "out": False, "out2": False}
    board = _board(leaderboards(rounds, opted, content, by="improvement", date=DATE))
    assert [e.name for e in board.rows] == ["a", "b"] and board.unranked == []
    assert [e.name for e in _board(leaderboards(rounds, opted, content, by="best", date=DATE)).rows] == ["a", "b"]
    board = _board(leaderboards(rounds, opted, content, by="improvement", date=DATE, me="out"))
    # "out" would be first: 1 + nobody better; a and b keep the ranks everybody else sees.
    assert [(e.rank, e.name, e.visible_only_to_you) for e in board.rows] == [
        (1, "out", True), (1, "a", False), (2, "b", False)]
    # Top 1 and me = b: b is still shown, after the top.
    board = _board(leaderboards(rounds, opted, content, by="improvement", date=DATE, me="b", top=1))
    assert [(e.rank, e.name, e.me) for e in board.rows] == [(1, "a", False), (2, "b", True)]


def test_badges_real_improvement_at_the_mdc_knee_to_wall_and_streaks(content):
    # Weekly bests 40 -> 49.9 (+9.9 < MDC 10) -> 50 (+10.0 = the MDC: real) at single-leg level 1.
    mine = [(item, item.scores["time_in_zone_pct"]) for item in
            [sl("a", D(2026, 2, 2), 40.0), sl("a", D(2026, 2, 9), 49.9), sl("a", D(2026, 2, 16), 50.0)]]
    assert [b.label for b in badges_of(mine, [], content, DATE)] == ["improved single-leg level 1"]
    assert badges_of(mine[:2], [], content, DATE) == []
    # foot-taps has no MDC: 10 -> 30 hits gives no badge.
    taps = [(Round("a", D(2026, 2, 2 + 7 * i), "foot-taps", "target", 1, {"hits": v}), v) for i, v in
            enumerate([10.0, 30.0])]
    assert badges_of(taps, [], content, DATE) == []
    # Knee-to-wall left 5.0 -> 6.0 -> 6.9 (+1.9 = its MDC): real; right 8.0 -> 9.0: not.
    checks = [Check(D(2026, 2, 2 + 7 * i), left, right, 0, 0, 0, 60, 60) for i, (left, right) in
              enumerate([(5.0, 8.0), (6.0, 8.5), (6.9, 9.0)])]
    assert [b.label for b in badges_of([], checks, content, DATE)] == ["improved knee-to-wall left"]
    assert badges_of([], checks, content, D(2026, 2, 10)) == []  # as of week 2, not yet
    # Streak badges: the highest of 3, 7, 14, 28 the longest streak reached: 8 days in a row -> 7.
    days = [(sl("a", D(2026, 2, 1) + dt.timedelta(days=i), 10.0), 10.0) for i in range(8)]
    assert [b.label for b in badges_of(days, [], content, DATE)] == ["7-day streak"]
    assert [b.label for b in badges_of(days[:3], [], content, DATE)] == ["3-day streak"]
    assert badges_of(days[:2], [], content, DATE) == []


def test_bad_options_are_refused(content):
    for kwargs, message in (({"game": "chess"}, "no leaderboard for game 'chess'"), ({"level": 0}, "from 1"),
                            ({"top": 0}, "--top"), ({"by": "luck"}, "--by")):
        with pytest.raises(ValueError, match=message):
            leaderboards([], {}, content, date=DATE, **{"by": "best", **kwargs})


# --- the command on a seeded database -----------------------------------------------------------------------------

def run(capsys, db, *argv):
    code = main([*argv, "--db", db])
    out, err = capsys.readouterr()
    return code, out, err


def board_json(capsys, db, *argv):
    code, out, err = run(capsys, db, "leaderboard", "--date", DATE.isoformat(), "--json", *argv)
    assert code == 0, err
    return json.loads(out)


def rows(data, game="single-leg", level=1):
    board = next(b for b in data["boards"] if b["game"] == game and b["level"] == level)
    return board["rows"]


# Every player's rounds: (day, value, level, status, valid); single-leg unless said otherwise. DATE is 2026-03-11.
SEED = {
    # ava: first week 02-09 best 44, this week best 55 (125.0 %); an invalid 99 this week does not count.
    "ava": [("02-10", 40), ("02-11", 44), ("03-09", 55), ("03-10", 50), ("03-10", 99, 1, "complete", False)],
    # bo: 40 -> 50 (125.0 %, a tie with ava); an abandoned 90 does not count.
    "bo": [("02-17", 40), ("03-11", 50), ("03-11", 90, 1, "abandoned", None)],
    # cy: 50 -> 80 (160.0 %) at level 1, and one round at level 2 this week (its first week: 100.0 %).
    "cy": [("02-24", 50), ("03-09", 80), ("03-10", 30, 2)],
    # dee: opted out; 30 -> 60 (200.0 %): would be first.
    "dee": [("02-09", 30), ("03-10", 60)],
    # fay: no round this week; best 75.
    "fay": [("02-12", 70), ("03-05", 75)],
    # gus: 50 -> 55 (110.0 %), best 55 ties with ava's.
    "gus": [("02-09", 50), ("03-11", 55)],
    # hal: 60 every day from 02-20 to 03-11 (20 days), imported rounds count too: 100.0 %, best 60.
    "hal": [((D(2026, 2, 20) + dt.timedelta(days=i)).strftime("%m-%d"), 60, 1, "imported" if i % 2 else "complete",
             True) for i in range(20)],
    # eli: level 2 only: 20 -> 35 (175.0 %).
    "eli": [("02-16", 20, 2), ("03-11", 35, 2)],
}
OPTED_IN = {"ava", "bo", "cy", "fay", "gus", "hal", "eli"}


def seed(db):
    with open_store(db) as store, store.transaction() as session:
        for name in sorted(SEED):
            user = records.add_user(session, name, leaderboard=name in OPTED_IN)
            for day, value, *rest in SEED[name]:
                level, status, valid = (rest + [1, "complete", True][len(rest):])[:3]
                row = sessions.start_session(session, user, kind="game", name="single-leg", level=level,
                                             started_utc=f"2026-{day}T09:30:00.000+00:00")
                sessions.append_samples(session, row, ["0.000000,,,,,,10,10,10,10,40,0,0,0"])
                if status == "abandoned":
                    row.status = "abandoned"
                    continue
                sessions.finish_session(row, scores={"time_in_zone_pct": float(value)}, valid=valid,
                                        score_version="single-leg/1", summary={"duration_s": 30.0},
                                        events_lines=[], status=status)
        eli = records.get_user(session, "eli")
        for day, hits in (("02-16", 10), ("03-10", 30)):  # foot-taps has no MDC: no badge for 10 -> 30
            row = sessions.start_session(session, eli, kind="game", name="foot-taps", setup="target", level=1,
                                         started_utc=f"2026-{day}T09:30:00.000+00:00")
            sessions.finish_session(row, scores={"hits": hits}, valid=True, score_version="foot-taps/1",
                                    summary={}, events_lines=[])
        fay = records.get_user(session, "fay")  # knee-to-wall left 5.0 -> 7.0 (+2.0 >= MDC 1.9): a badge
        for day, left in ((D(2026, 2, 9), 5.0), (D(2026, 3, 2), 7.0)):
            records.add_check(session, fay, Check(day, left, 9.0, 0, 0, 0, 60, 60))


@pytest.fixture
def seeded(store_url):
    seed(store_url)
    return store_url


def test_improvement_on_a_seeded_database(capsys, seeded):
    data = board_json(capsys, seeded, "--by", "improvement")
    assert data["tie_rule"] == TIE_RULE and data["week_start"] == "2026-03-09"
    assert [(r["rank"], r["name"], r["improvement_pct"]) for r in rows(data)] == [
        (1, "cy", 160.0), (2, "ava", 125.0), (2, "bo", 125.0), (4, "gus", 110.0), (5, "hal", 100.0)]
    assert [(r["rank"], r["name"], r["improvement_pct"]) for r in rows(data, level=2)] == [
        (1, "eli", 175.0), (2, "cy", 100.0)]
    ava = rows(data)[1]
    assert (ava["this_week_best"], ava["baseline"], ava["baseline_week"]) == (55.0, 44.0, "2026-02-09")
    # Pseudonyms only: nothing else about a player.
    assert set(ava) == {"rank", "name", "improvement_pct", "this_week_best", "baseline", "baseline_week", "badges"}
    assert "dee" not in json.dumps(data)


def test_consistency_on_a_seeded_database(capsys, seeded):
    data = board_json(capsys, seeded, "--by", "consistency")
    # hal 20 days, streak 20; ava 2 days (03-09, 03-10; 02-10 and 02-11 are before 02-12), streak 2 (to yesterday);
    # bo 2 days, streak 1 (today); cy and fay 2 days, no streak (cy's 03-10 round is at level 2): tie, alphabetical;
    # gus 1 day (02-09 is outside the 28 days), streak 1.
    assert [(r["rank"], r["name"], r["days"], r["streak"]) for r in rows(data)] == [
        (1, "hal", 20, 20), (2, "ava", 2, 2), (3, "bo", 2, 1), (4, "cy", 2, 0), (4, "fay", 2, 0), (6, "gus", 1, 1)]
    data = board_json(capsys, seeded, "--by", "consistency", "--user", "dee")
    assert [(r["rank"], r["name"]) for r in rows(data)][-2:] == [(6, "dee"), (6, "gus")]
    assert rows(data)[-2]["visible_only_to_you"] is True and rows(data)[-1].get("me") is None


def test_best_never_mixes_levels(capsys, seeded):
    data = board_json(capsys, seeded, "--by", "best")
    assert [(r["rank"], r["name"], r["best"]) for r in rows(data)] == [
        (1, "cy", 80.0), (2, "fay", 75.0), (3, "hal", 60.0), (4, "ava", 55.0), (4, "gus", 55.0), (6, "bo", 50.0)]
    assert [(r["rank"], r["name"], r["best"]) for r in rows(data, level=2)] == [(1, "eli", 35.0), (2, "cy", 30.0)]
    assert [(b["game"], b["setup"], b["level"]) for b in data["boards"]] == [
        ("foot-taps", "target", 1), ("single-leg", None, 1), ("single-leg", None, 2)]
    data = board_json(capsys, seeded, "--by", "best", "--level", "2")
    assert [(b["game"], b["level"]) for b in data["boards"]] == [("single-leg", 2)]
    data = board_json(capsys, seeded, "--by", "best", "--game", "single-leg", "--level", "1", "--user", "dee")
    # dee (opted out) would tie with hal at 60: rank 3, listed alphabetically before hal, for dee's eyes only.
    assert [(r["rank"], r["name"], r.get("visible_only_to_you", False)) for r in rows(data)][:4] == [
        (1, "cy", False), (2, "fay", False), (3, "dee", True), (3, "hal", False)]


def test_me_is_always_shown_their_own_rank(capsys, seeded):
    # --top 2: ties at the last rank shown are all shown (ava and bo share rank 2).
    assert [r["name"] for r in rows(board_json(capsys, seeded, "--top", "2"))] == ["cy", "ava", "bo"]
    data = board_json(capsys, seeded, "--by", "improvement", "--top", "1", "--user", "hal")
    assert [(r["rank"], r["name"], r.get("me", False)) for r in rows(data)] == [(1, "cy", False), (5, "hal", True)]
    board = next(b for b in data["boards"] if b["level"] == 2)  # hal never played level 2: no note for him there
    assert [(r["rank"], r["name"]) for r in board["rows"]] == [(1, "eli")] and board["me_note"] is None
    code, out, _ = run(capsys, seeded, "leaderboard", "--date", DATE.isoformat(), "--top", "1", "--user", "hal")
    assert code == 0 and "   ..." in out and "hal" in out and "<- you" in out
    # fay played level 1 but not this week: the board says so, to her.
    data = board_json(capsys, seeded, "--by", "improvement", "--user", "fay")
    board = next(b for b in data["boards"] if b["game"] == "single-leg" and b["level"] == 1)
    assert board["me_note"] == "no counting round this week" and "fay" not in [r["name"] for r in board["rows"]]
    # An opted-in player asking sees the same ranks as everybody.
    assert [(r["rank"], r["name"]) for r in rows(board_json(capsys, seeded, "--user", "bo"))] == [
        (1, "cy"), (2, "ava"), (2, "bo"), (4, "gus"), (5, "hal")]


def test_badges_on_a_seeded_database(capsys, seeded):
    data = board_json(capsys, seeded, "--by", "best")
    labels = {r["name"]: [b["label"] for b in r["badges"]] for board in data["boards"] for r in board["rows"]}
    # ava 44 -> 55 (+11), bo 40 -> 50 (+10 = the MDC), cy 50 -> 80: real; gus +5, fay +5, hal 0: not. fay: knee-to-
    # wall +2.0 cm. hal: 20 days in a row -> the 14-day badge. eli: 20 -> 35 at level 2; foot-taps: no MDC, none.
    # fay's knee-to-wall badge comes from her clinical checks: only she sees it.
    assert labels == {"ava": ["improved single-leg level 1"], "bo": ["improved single-leg level 1"],
                      "cy": ["improved single-leg level 1"], "fay": [], "gus": [],
                      "hal": ["14-day streak"], "eli": ["improved single-leg level 2"]}
    mine = board_json(capsys, seeded, "--by", "best", "--user", "fay")
    fay = [r for board in mine["boards"] for r in board["rows"] if r["name"] == "fay"]
    assert fay and all([b["label"] for b in r["badges"]] == ["improved knee-to-wall left"] for r in fay)
    code, out, _ = run(capsys, seeded, "leaderboard", "--by", "best", "--date", DATE.isoformat())
    assert "hal" in out and "[14-day streak]" in out and TIE_RULE in out


def test_text_output_lists_a_table_per_game_setup_and_level(capsys, seeded):
    code, out, err = run(capsys, seeded, "leaderboard", "--date", DATE.isoformat())
    assert code == 0 and err == ""
    assert "single-leg, level 1 - by improvement" in out and "single-leg, level 2" in out
    lines = out.splitlines()
    start = lines.index(next(line for line in lines if line.startswith("single-leg, level 1")))
    names = [line.split()[1] for line in lines[start + 2:start + 7]]
    assert names == ["cy", "ava", "bo", "gus", "hal"]
    assert "dee" not in out


def test_an_empty_leaderboard_says_so(capsys, store_url):
    assert run(capsys, store_url, "user", "add", "solo")[0] == 0  # opted out by default
    with open_store(store_url) as store, store.transaction() as session:
        row = sessions.start_session(session, records.get_user(session, "solo"), kind="game", name="single-leg",
                                     level=1, started_utc="2026-03-10T09:00:00+00:00")
        sessions.finish_session(row, scores={"time_in_zone_pct": 50.0}, valid=True, score_version="single-leg/1",
                                summary={}, events_lines=[])
    code, out, err = run(capsys, store_url, "leaderboard", "--date", DATE.isoformat())
    assert code == 0 and "The leaderboard is empty" in out
    assert board_json(capsys, store_url)["boards"] == []
    # solo asking sees their own place, marked as visible only to them.
    data = board_json(capsys, store_url, "--user", "solo")
    assert [(r["rank"], r["name"], r["visible_only_to_you"]) for r in rows(data)] == [(1, "solo", True)]


@pytest.mark.parametrize("argv, message, exit_code", [
    (["--game", "chess"], "no leaderboard for game 'chess'", 1),
    (["--level", "0"], "a level is a whole number from 1", 1),
    (["--top", "0"], "--top is a whole number from 1", 1),
    (["--user", "nobody"], "no user called 'nobody'", 1),
    (["--date", "2026-02-30"], "'2026-02-30' is not a date", 2),
    (["--level", "two"], "'two' is not a whole number", 2),
    (["--by", "luck"], "invalid choice", 2),
])
def test_bad_input_is_one_line(capsys, store_url, argv, message, exit_code):
    assert run(capsys, store_url, "user", "add", "kiwi", "--leaderboard")[0] == 0
    try:
        code = main(["leaderboard", *argv, "--db", store_url])
    except SystemExit as exit_:  # argparse: a malformed argument
        code = exit_.code
    out, err = capsys.readouterr()
    assert code == exit_code
    assert out == "" and len(err.strip().splitlines()) == 1 and message in err and "Traceback" not in err
