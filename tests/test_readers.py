"""Readers: each format on the real recordings of ../shared/data, checked against independent truth (the README's
reference values, the file's own COP columns, the published formulas, ezc3d's own force platform module), and every
way a file can be broken giving one RecordingFormatError that names the file and the line."""
from __future__ import annotations

import contextlib
import csv
import json
import re
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.io
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.samples import G_M_S2, WII_BALANCE_BOARD
from trainer.cop import MIN_STANDING_KG, corners_to_cop
from trainer.errors import BalanceTrainerError, RecordingFormatError
from trainer.readers import FORMATS, AxesMap, ReaderOptionError, detect_format, read_recording
from trainer.readers.common import corners_for_axes, nominal_rate_hz, resolve_axes
from trainer.readers.textfile import TextTable

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason=f"the shared recordings are missing ({DATA})")

BDS = DATA / "bds" / "BDS00001.txt"
AMTI = DATA / "amti_quiet_standing.csv"
WII = DATA / "wii_balance_board_recording.txt"
KISTLER = DATA / "bmc" / "kistler_fp_data.txt"
C3D = DATA / "c3d"
MAT = DATA / "ttb_example_cop.mat"


def columns(path: Path, delimiter: str, skip: int) -> np.ndarray:
    """An independent read of a text table (the stdlib csv module, not the reader's code)."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle, delimiter=delimiter))[skip:]
    return np.array([[float(cell) for cell in row] for row in rows if row])


@contextlib.contextmanager
def strict_warnings():
    """Any warning (a divide by zero, an invalid value) fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# ---------------------------------------------------------------------------------------------------- detection

@pytest.mark.parametrize("relative, expected", [
    ("bds/BDS00001.txt", "bds"), ("amti_quiet_standing.csv", "amti"), ("wii_balance_board_recording.txt",
                                                                        "wii-recorder"),
    ("bmc/kistler_fp_data.txt", "kistler"), ("c3d/FP_Type1.c3d", "c3d"), ("c3d/Qualisys.c3d", "c3d"),
    ("ttb_example_cop.mat", "mat"),
])
def test_formats_are_detected_by_content(relative, expected, tmp_path):
    assert detect_format(DATA / relative) == expected
    renamed = tmp_path / "recording.dat"  # no telling name: the content alone decides
    renamed.write_bytes((DATA / relative).read_bytes())
    assert detect_format(renamed) == expected


def test_unknown_format_names_the_file(tmp_path):
    path = tmp_path / "jump.txt"
    path.write_text("Time[s]\tGRF[N]\n0.0\t-0.0\n")
    with pytest.raises(RecordingFormatError, match="jump.txt.*no known recording format.*bds"):
        read_recording(path)
    with pytest.raises(RecordingFormatError, match="jump.txt.*unknown format 'csv'"):
        read_recording(path, format="csv")
    with pytest.raises(RecordingFormatError, match="nothing_here.txt.*cannot be read"):
        read_recording(tmp_path / "nothing_here.txt")
    with pytest.raises(RecordingFormatError, match="without samples.csv"):
        read_recording(tmp_path)


def test_unknown_reader_option_is_refused():
    with pytest.raises(ReaderOptionError, match="kistler files take no option 'platform'.*a_m"):
        read_recording(KISTLER, platform=1)
    with pytest.raises(BalanceTrainerError):
        read_recording(BDS, sensitivity=2)


def test_the_registry_lists_every_format():
    assert set(FORMATS) == {"bds", "pds", "amti", "wii-recorder", "kistler", "c3d", "mat", "folder"}
    assert FORMATS["c3d"].options == ("axes", "platform")
    assert "sensitivities_mv_per_n" in FORMATS["kistler"].options


# ---------------------------------------------------------------------------------------------------- axes

def test_axes_strings_are_parsed_and_checked():
    sources = ("COPx", "COPy")
    assert resolve_axes(None, sources=sources, default="ml=+COPy,ap=+COPx", format="bds") == \
        AxesMap("COPy", 1, "COPx", 1)
    assert resolve_axes(" ap = -copx , ml=COPY ", sources=sources, default="", format="bds") == \
        AxesMap("COPy", 1, "COPx", -1)
    assert str(AxesMap("COPy", -1, "COPx", 1)) == "ml=-COPy,ap=+COPx"
    given_map = AxesMap("COPx", 1, "COPy", -1)
    assert resolve_axes(given_map, sources=sources, default="", format="bds") == given_map
    bad = {
        "ml=+COPz,ap=+COPx": "no horizontal axis 'COPz'.*COPx, COPy",
        "ml=+COPx,ap=-COPx": "both come from COPx",
        "ml=+COPy": "ap missing",
        "ml=+COPy,ml=+COPx": "ml is given twice",
        "x=COPy,y=COPx": "cannot read 'x=COPy'",
        "ml=*COPy,ap=COPx": "cannot read",
    }
    for text, message in bad.items():
        with pytest.raises(ReaderOptionError, match=message):
            resolve_axes(text, sources=sources, default="ml=+COPy,ap=+COPx", format="bds")
    with pytest.raises(ReaderOptionError, match="must be a string"):
        resolve_axes(3, sources=sources, default="ml=+COPy,ap=+COPx", format="bds")
    with pytest.raises(ReaderOptionError, match="bds files have no horizontal axis 'CpX'"):
        read_recording(BDS, axes="ml=+CpX,ap=+CpY")


MAPPINGS = [f"ml={a}{u},ap={b}{v}" for u, v in (("CpX", "CpY"), ("CpY", "CpX")) for a in "+-" for b in "+-"]


@settings(max_examples=60, deadline=None)
@given(corners=st.lists(st.floats(0.5, 40.0), min_size=4, max_size=4), mapping=st.sampled_from(MAPPINGS))
def test_corner_relabelling_keeps_cop_corners_and_geometry_consistent(corners, mapping):
    """For all eight mappings: the COP of the re-labelled corners on the mapped geometry is the mapped COP."""
    board = np.array([corners])
    _, board_x, board_y = corners_to_cop(board, WII_BALANCE_BOARD, 0.0)
    axes = resolve_axes(mapping, sources=("CpX", "CpY"), default="", format="wii-recorder")
    order, geometry = corners_for_axes(axes, ("CpX", "CpY"), WII_BALANCE_BOARD)
    assert sorted(order) == [0, 1, 2, 3]
    _, x, y = corners_to_cop(board[:, order], geometry, 0.0)
    expected_x, expected_y = axes.apply({"CpX": board_x, "CpY": board_y})
    np.testing.assert_allclose([x[0], y[0]], [expected_x[0], expected_y[0]], atol=1e-9)


def test_nominal_rate():
    assert nominal_rate_hz(np.arange(1, 6001) / 100.0) == 100.0
    assert nominal_rate_hz(np.array([0.0, 0.023, 0.048, 0.073])) is None
    assert nominal_rate_hz(np.array([0.0])) is None


# ---------------------------------------------------------------------------------------------------- BDS

def hyperellipse_area(ap, ml):
    n = len(ap)
    cov = np.cov(np.vstack([ap, ml]), ddof=1)
    scale = scipy.stats.f.ppf(0.95, 2, n - 2) * 2 * (n - 1) * (n + 1) / (n * (n - 2))
    return np.pi * scale * np.sqrt(np.linalg.det(cov))


@pytest.fixture(scope="module")
def bds_published():
    with open(DATA / "bds" / "BDSinfoCOP.txt", newline="") as table:
        return {row["Trial"]: row for row in csv.DictReader(table, delimiter="\t") if row["Trial"] <= "BDS00012"}


@pytest.mark.parametrize("trial", [f"BDS{i:05d}" for i in range(1, 13)])
def test_bds_against_its_columns_its_moments_and_the_published_values(trial, bds_published):
    path = DATA / "bds" / f"{trial}.txt"
    recording = read_recording(path)
    raw = columns(path, "\t", 1)
    fz, mx, my, copx_cm, copy_cm = raw[:, 3], raw[:, 4], raw[:, 5], raw[:, 7], raw[:, 8]
    assert recording.format == "bds" and recording.n_samples == 6000 and recording.fs_hz == 100.0
    np.testing.assert_array_equal(recording.t_s, raw[:, 0])
    np.testing.assert_allclose(recording.cop_x_mm, 10 * copy_cm, rtol=1e-15, atol=1e-12)  # ML = COPy
    np.testing.assert_allclose(recording.cop_y_mm, 10 * copx_cm, rtol=1e-15, atol=1e-12)  # AP = COPx
    # The formulas of the README, from the force and moments (6 decimals each in the file).
    np.testing.assert_allclose(recording.cop_x_mm, 1000 * mx / fz, atol=2e-3)
    np.testing.assert_allclose(recording.cop_y_mm, -1000 * my / fz, atol=2e-3)
    np.testing.assert_allclose(recording.total_kg, fz / G_M_S2)
    # Units and timing, end to end, against the authors' published COPvelo (cm/s) and COParea (cm^2).
    ap_cm, ml_cm = recording.cop_y_mm / 10, recording.cop_x_mm / 10
    velocity = np.sum(np.hypot(np.diff(ap_cm), np.diff(ml_cm))) / (recording.n_samples / recording.fs_hz)
    assert velocity == pytest.approx(float(bds_published[trial]["COPvelo"]), rel=1e-9)
    assert hyperellipse_area(ap_cm, ml_cm) == pytest.approx(float(bds_published[trial]["COParea"]), rel=1e-9)
    # The subject's weight from the table, against the mean load (a standing person loads the plate with it).
    assert np.mean(recording.total_kg) == pytest.approx(float(bds_published[trial]["Weight"]), rel=0.05)


def test_bds_axes_option():
    recording = read_recording(BDS, axes="ml=-COPy,ap=-COPx")
    raw = columns(BDS, "\t", 1)
    np.testing.assert_allclose(recording.cop_x_mm, -10 * raw[:, 8])
    np.testing.assert_allclose(recording.cop_y_mm, -10 * raw[:, 7])
    assert recording.metadata["axes"] == "ml=-COPy,ap=-COPx"


def test_bds_reads_fast():
    read_recording(BDS)
    best = min(_timed(lambda: read_recording(BDS)) for _ in range(5))
    assert best < 0.05, f"BDS (6,000 rows) took {best * 1000:.1f} ms"


def _timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


# ---------------------------------------------------------------------------------------------------- PDS

PDS_HEADER = ("Time", "RGRF_X", "RGRF_Y", "RGRF_Z", "LGRF_X", "LGRF_Y", "LGRF_Z", "GRFNET_X", "GRFNET_Y", "GRFNET_Z",
              "RCOP_X", "RCOP_Y", "RCOP_Z", "LCOP_X", "LCOP_Y", "LCOP_Z", "COPNET_X", "COPNET_Y", "COPNET_Z",
              "RFREEMOMENT_Y", "LFREEMOMENT_Y")


def write_pds(path: Path, bds_path: Path, *, feet_apart_m: float = 0.18) -> np.ndarray:
    """A PDS `grf` file (dos Santos et al. 2017 layout: two plates, metres, Y up, X AP, Z ML) built from a BDS trial.

    The net wrench is the BDS plate's; it is split over a right foot (+Z) and a left foot (-Z) whose COPs sit
    `feet_apart_m` apart, with the vertical loads that make their weighted mean the net COP. Returns the table.
    """
    raw = columns(bds_path, "\t", 1)
    n = len(raw)
    fx, fy, fz, mz, ap_m, ml_m = raw[:, 1], raw[:, 2], raw[:, 3], raw[:, 6], raw[:, 7] / 100, raw[:, 8] / 100
    right_z, left_z = ml_m + feet_apart_m / 2 + 0.01, ml_m - feet_apart_m / 2 + 0.01
    share = (ml_m - left_z) / (right_z - left_z)  # right foot's share of the load
    grf_net = np.column_stack([fx, fz, fy])  # X AP, Y vertical, Z ML
    right, left = grf_net * share[:, None], grf_net * (1 - share)[:, None]
    zeros = np.zeros(n)
    table = np.column_stack([
        np.arange(n) / 100.0, right, left, grf_net,
        ap_m, zeros, right_z, ap_m, zeros, left_z, ap_m, zeros, ml_m,
        mz * share, mz * (1 - share),
    ])
    lines = ["\t".join(PDS_HEADER)] + ["\t".join([f"{row[0]:.2f}"] + [f"{v:.6f}" for v in row[1:]]) for row in table]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    return table


def test_pds_from_a_generated_file(tmp_path):
    path = tmp_path / "PDS01OR1grf.txt"
    write_pds(path, BDS)
    table = columns(path, "\t", 1)  # as written, to six decimals
    assert detect_format(path) == "pds"
    recording = read_recording(path)
    assert recording.format == "pds" and recording.n_samples == 6000 and recording.fs_hz == 100.0
    assert recording.t_s[0] == 0.0 and recording.t_s[-1] == pytest.approx(59.99)
    np.testing.assert_allclose(recording.cop_x_mm, 1000 * table[:, 18], atol=1e-9)  # ML = COPNET_Z
    np.testing.assert_allclose(recording.cop_y_mm, 1000 * table[:, 16], atol=1e-9)  # AP = COPNET_X
    np.testing.assert_allclose(recording.total_kg, table[:, 8] / G_M_S2)
    # The same trial as the BDS file it was built from, to the 1e-6 m rounding of the PDS file.
    bds = read_recording(BDS)
    np.testing.assert_allclose(recording.cop_x_mm, bds.cop_x_mm, atol=5e-4 + 1e-9)
    np.testing.assert_allclose(recording.cop_y_mm, bds.cop_y_mm, atol=5e-4 + 1e-9)
    # The two feet, weighted by their loads, give the net COP back (a check on the generated file itself).
    weighted = (table[:, 2] * table[:, 12] + table[:, 5] * table[:, 15]) / table[:, 8]
    np.testing.assert_allclose(1000 * weighted, recording.cop_x_mm, atol=2e-3)
    renamed = tmp_path / "trial.txt"
    renamed.write_bytes(path.read_bytes())
    assert detect_format(renamed) == "pds"
    flipped = read_recording(path, axes="ml=-COPNET_Z,ap=+COPNET_X")
    np.testing.assert_allclose(flipped.cop_x_mm, -recording.cop_x_mm)


# ---------------------------------------------------------------------------------------------------- AMTI

def test_amti_cop_from_moments_at_full_precision():
    with strict_warnings():
        recording = read_recording(AMTI)
    raw = columns(AMTI, ",", 35)
    fz, mx, my, cx, cy = raw[:, 5], raw[:, 6], raw[:, 7], raw[:, 9], raw[:, 10]
    assert recording.format == "amti" and recording.n_samples == 15605 and recording.fs_hz == 100.0
    np.testing.assert_array_equal(recording.t_s, raw[:, 1])
    dropouts = [1, 2, 15600, 15601, 15602, 15603, 15604]
    assert np.all(fz[dropouts] == 0)
    assert np.flatnonzero(~recording.standing).tolist() == dropouts
    assert np.all(recording.total_kg[dropouts] == 0)
    loaded = recording.standing
    # x = 1000 My/Fz = -Cx, y = 1000 Mx/Fz = Cy. The file's own Cx/Cy are rounded to 1e-6 m (half a micron); our
    # inputs My, Mx, Fz to 1e-6 (at most 1000 (5e-7 + |cop| 5e-7) / Fz mm more); and the exporter divided in
    # float32 (its forces are float32 values, e.g. Fz 575.90625), a relative 2 x 1.2e-7 more.
    for cop, column in ((recording.cop_x_mm, -1000 * cx), (recording.cop_y_mm, 1000 * cy)):
        bound = 5e-4 + 1000 * (5e-7 + 5e-7 * np.abs(cop / 1000)) / np.abs(fz) + 2.4e-7 * np.abs(cop)
        assert np.all(np.abs(cop - column)[loaded] <= bound[loaded])
    np.testing.assert_allclose(recording.cop_x_mm[loaded], 1000 * my[loaded] / fz[loaded], rtol=1e-14)
    np.testing.assert_allclose(recording.total_kg, fz / G_M_S2)
    metadata = recording.metadata
    assert metadata["file_metadata"]["Take Name"] == "sujet1droite"
    assert metadata["file_metadata"]["Device Name"] == "AMTI 3265 3265"
    np.testing.assert_array_equal(metadata["channels"]["Fz"], fz)
    np.testing.assert_array_equal(metadata["channels"]["My"], my)
    assert metadata["unloaded_rows"] == 7


# ---------------------------------------------------------------------------------------------------- Wii

@pytest.fixture(scope="module")
def wii():
    return read_recording(WII)


@pytest.fixture(scope="module")
def wii_raw():
    return columns(WII, "\t", 1)  # Time CpX CpY BL BR TL TR Weight RAWBL RAWBR RAWTL RAWTR


def test_wii_drops_repeated_rows(wii, wii_raw):
    repeats = np.all(wii_raw[1:, 1:] == wii_raw[:-1, 1:], axis=1)
    assert repeats.sum() == 39
    assert wii.metadata["repeated_rows_dropped"] == 39
    assert wii.n_samples == len(wii_raw) - 39
    np.testing.assert_array_equal(wii.t_s, wii_raw[np.r_[True, ~repeats], 0])
    assert wii.fs_hz is None
    assert not np.any(np.all(wii.raw_counts[1:] == wii.raw_counts[:-1], axis=1) &
                      np.all(wii.corners_kg[1:] == wii.corners_kg[:-1], axis=1))


def test_wii_corners_raw_counts_and_geometry(wii, wii_raw):
    kept = wii_raw[np.r_[True, ~np.all(wii_raw[1:, 1:] == wii_raw[:-1, 1:], axis=1)]]
    bl, br, tl, tr = kept[:, 3], kept[:, 4], kept[:, 5], kept[:, 6]
    np.testing.assert_allclose(wii.corners_kg, np.column_stack([tl, tr, bl, br]) / G_M_S2, rtol=1e-15)
    assert wii.raw_counts.dtype == np.int64
    np.testing.assert_array_equal(wii.raw_counts, kept[:, [10, 11, 8, 9]].astype(np.int64))
    assert wii.geometry == WII_BALANCE_BOARD
    np.testing.assert_allclose(wii.total_kg, (tl + tr + bl + br) / G_M_S2, rtol=1e-12, atol=1e-12)
    # The recorder's Weight column is the same sum divided by 9.8, not by standard gravity (which would be 0.05 kg
    # off at 72 kg): to its own rounding (5e-4 kg) plus the four newton columns' (4 x 5e-4 N / 9.8).
    weight = kept[:, 7]
    np.testing.assert_allclose(weight, (tl + tr + bl + br) / 9.8, atol=5e-4 + 2e-3 / 9.8 + 1e-9)
    assert np.max(np.abs(weight - (tl + tr + bl + br) / G_M_S2)) > 0.04


def test_wii_cop_matches_the_recorded_columns(wii, wii_raw):
    kept = wii_raw[np.r_[True, ~np.all(wii_raw[1:, 1:] == wii_raw[:-1, 1:], axis=1)]]
    cpx_mm, cpy_mm = 10 * kept[:, 1], 10 * kept[:, 2]
    total_n = wii.total_kg * G_M_S2
    standing = wii.total_kg >= MIN_STANDING_KG
    np.testing.assert_array_equal(wii.standing, standing)
    assert np.all(np.isnan(wii.cop_x_mm[~standing])) and np.all(np.isnan(wii.cop_y_mm[~standing]))
    assert not wii.standing[:200].any()  # nobody on the board for the first seconds
    # Where a person stands, the README's 5.5e-4 cm.
    person = wii.total_kg >= 10
    np.testing.assert_allclose(wii.cop_x_mm[person], cpx_mm[person], atol=5.5e-3)
    np.testing.assert_allclose(wii.cop_y_mm[person], cpy_mm[person], atol=5.5e-3)
    # Everywhere the COP is defined: the column's own rounding plus the newtons' rounding (4 x 0.0005 N).
    for cop, column, half in ((wii.cop_x_mm, cpx_mm, 216.5), (wii.cop_y_mm, cpy_mm, 119.0)):
        bound = 5e-3 + (half * 2e-3 + np.abs(cop) * 2e-3) / total_n + 1e-9
        assert np.all(np.abs(cop - column)[standing] <= bound[standing])


def test_wii_axes_mapping_relabels_corners(wii):
    mirrored = read_recording(WII, axes="ml=-CpX,ap=+CpY")
    np.testing.assert_array_equal(mirrored.standing, wii.standing)
    np.testing.assert_allclose(mirrored.cop_x_mm[wii.standing], -wii.cop_x_mm[wii.standing], atol=1e-9)
    np.testing.assert_allclose(mirrored.cop_y_mm[wii.standing], wii.cop_y_mm[wii.standing], atol=1e-9)
    np.testing.assert_array_equal(mirrored.corners_kg, wii.corners_kg[:, [1, 0, 3, 2]])  # left and right swap
    np.testing.assert_array_equal(mirrored.raw_counts, wii.raw_counts[:, [1, 0, 3, 2]])
    turned = read_recording(WII, axes="ml=+CpY,ap=-CpX")
    assert turned.geometry.sensor_spacing_x_mm == 238.0 and turned.geometry.sensor_spacing_y_mm == 433.0
    np.testing.assert_allclose(turned.cop_x_mm[wii.standing], wii.cop_y_mm[wii.standing], atol=1e-9)
    np.testing.assert_allclose(turned.cop_y_mm[wii.standing], -wii.cop_x_mm[wii.standing], atol=1e-9)


# ---------------------------------------------------------------------------------------------------- Kistler

def test_kistler_first_sample_matches_the_readme():
    recording = read_recording(KISTLER)
    assert recording.format == "kistler" and recording.n_samples == 2000 and recording.fs_hz == 100.0
    assert recording.total_kg[0] * G_M_S2 == pytest.approx(436.753911, abs=5e-7)
    assert recording.cop_x_mm[0] == pytest.approx(18.900, abs=5e-4)  # ax 0.018900 m -> ML
    assert recording.cop_y_mm[0] == pytest.approx(-20.109, abs=5e-4)  # ay -0.020109 m -> AP
    assert recording.metadata["channels"]["Fz"][0] == pytest.approx(436.753911, abs=5e-7)


def test_kistler_plate_constants_are_options():
    base = read_recording(KISTLER)
    doubled = read_recording(KISTLER, sensitivities_mv_per_n=[2 * s for s in
                                                              (38.117, 37.723, 38.062, 38.008, 3.898, 3.889,
                                                               3.885, 3.891)])
    np.testing.assert_allclose(doubled.total_kg, base.total_kg / 2)
    np.testing.assert_allclose(doubled.cop_x_mm, base.cop_x_mm)  # a ratio: the scale cancels
    wider = read_recording(KISTLER, a_m=0.240, az0_m=0.0)
    assert not np.allclose(wider.cop_x_mm, base.cop_x_mm)
    turned = read_recording(KISTLER, axes="ml=+ay,ap=-ax")
    np.testing.assert_allclose(turned.cop_x_mm, base.cop_y_mm)
    np.testing.assert_allclose(turned.cop_y_mm, -base.cop_x_mm)
    for bad in ({"a_m": 0.0}, {"b_m": -1.0}, {"az0_m": float("nan")}, {"sensitivities_mv_per_n": [1.0] * 7},
                {"sensitivities_mv_per_n": [1.0] * 7 + [0.0]}):
        with pytest.raises(ReaderOptionError, match="kistler"):
            read_recording(KISTLER, **bad)


# ---------------------------------------------------------------------------------------------------- C3D

def ezc3d_platforms(path):
    import ezc3d

    return ezc3d.c3d(str(path), extract_forceplat_data=True)["data"]["platform"]


@pytest.mark.parametrize("name, platform", [("Qualisys", 0), ("Qualisys", 1), ("FP_Type3", 0), ("FP_Type3", 1),
                                            ("FP_Type1", 0)])
def test_c3d_against_ezc3d_force_platform_module(name, platform):
    path = C3D / f"{name}.c3d"
    recording = read_recording(path, platform=platform)
    reference = ezc3d_platforms(path)[platform]
    mm = {"m": 1000.0, "mm": 1.0}[reference["unit_position"]]
    force = np.vstack([recording.metadata["channels"][axis] for axis in ("Fx", "Fy", "Fz")])
    np.testing.assert_allclose(force, reference["force"], atol=1e-9)
    up = "XYZ".index(recording.metadata["vertical_axis"])
    sign = recording.metadata["vertical_force_sign"]
    np.testing.assert_allclose(recording.total_kg, sign * reference["force"][up] / G_M_S2)
    centre = reference["corners"].mean(axis=1)
    cop = (reference["center_of_pressure"] - centre[:, None]) * mm
    a, b = {2: (0, 1), 1: (2, 0), 0: (1, 2)}[up]
    standing = recording.standing
    np.testing.assert_allclose(recording.cop_x_mm[standing], cop[a][standing], atol=1e-9)
    np.testing.assert_allclose(recording.cop_y_mm[standing], cop[b][standing], atol=1e-9)
    np.testing.assert_array_equal(standing, recording.total_kg >= MIN_STANDING_KG)
    half = np.ptp(reference["corners"] * mm, axis=1) / 2
    heavy = recording.total_kg > 20  # where someone stands firmly the COP lies on the plate
    assert np.all(np.abs(recording.cop_x_mm[heavy]) <= half[a]) and np.all(np.abs(recording.cop_y_mm[heavy]) <= half[b])


def test_c3d_qualisys_time_and_defaults():
    recording = read_recording(C3D / "Qualisys.c3d")
    assert recording.format == "c3d" and recording.fs_hz == 2000.0 and recording.n_samples == 3400
    assert recording.t_s[0] == pytest.approx(704 / 200) and np.allclose(np.diff(recording.t_s), 1 / 2000)
    assert recording.metadata["vertical_axis"] == "Z" and recording.metadata["axes"] == "ml=+X,ap=+Y"
    assert 80 < np.max(recording.total_kg) < 90
    assert recording.metadata["n_platforms"] == 2
    swapped = read_recording(C3D / "Qualisys.c3d", axes="ml=-Y,ap=+X")
    np.testing.assert_array_equal(swapped.cop_y_mm[recording.standing], recording.cop_x_mm[recording.standing])
    with pytest.raises(ReaderOptionError, match="no horizontal axis 'Z'"):
        read_recording(C3D / "Qualisys.c3d", axes="ml=+Z,ap=+X")


def test_c3d_nearly_unloaded_plate_and_garbage_corners():
    with strict_warnings():
        recording = read_recording(C3D / "FP_Type1.c3d")
    assert recording.n_samples == 1268 and recording.fs_hz == 200.0
    assert recording.metadata["vertical_axis"] == "Y" and recording.metadata["axes"] == "ml=+Z,ap=+X"
    assert np.max(np.abs(recording.total_kg)) < 1.0 and not recording.standing.any()
    for platform in (1, 2, 3):
        with pytest.raises(RecordingFormatError, match=f"FP_Type1.c3d: force platform {platform} has implausible"):
            read_recording(C3D / "FP_Type1.c3d", platform=platform)
    with pytest.raises(RecordingFormatError, match="FP_Type1.c3d: has 4 force platform.*platform=4 does not"):
        read_recording(C3D / "FP_Type1.c3d", platform=4)
    for bad in (-1, "1", True, 1.0):
        with pytest.raises(ReaderOptionError, match="platform must be"):
            read_recording(C3D / "FP_Type1.c3d", platform=bad)


def test_c3d_tiny_file():
    loaded = read_recording(C3D / "FP_Type3.c3d")
    assert loaded.n_samples == 8 and loaded.fs_hz == 1000.0 and loaded.standing.all()
    assert loaded.t_s[0] == pytest.approx(1165 / 250)
    empty = read_recording(C3D / "FP_Type3.c3d", platform=1)
    assert empty.n_samples == 8 and not empty.standing.any()


def test_c3d_broken_files(tmp_path):
    data = (C3D / "Qualisys.c3d").read_bytes()
    cases = {
        "cut.c3d": (data[:300_000], "is cut short.*3400 analog samples.*holds 780"),
        "cut_header.c3d": (data[:600], "not a readable C3D file"),
        "empty.c3d": (b"", "is empty"),
        "wrong_key.c3d": (data[:1] + b"\x51" + data[2:], "not a C3D file"),
        "scrambled.c3d": (data[:2] + bytes(range(256)) * 40, "not a readable C3D file"),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(RecordingFormatError, match=f"{name}: .*{message}") as caught:
            read_recording(path, format="c3d")
        assert caught.value.__cause__ is None
    tiny = (C3D / "FP_Type3.c3d").read_bytes()
    (tmp_path / "tiny_cut.c3d").write_bytes(tiny[:7000])
    with pytest.raises(RecordingFormatError, match="tiny_cut.c3d: is cut short"):
        read_recording(tmp_path / "tiny_cut.c3d")


def test_c3d_reads_fast():
    read_recording(C3D / "Qualisys.c3d")
    best = min(_timed(lambda: read_recording(C3D / "Qualisys.c3d")) for _ in range(3))
    assert best < 0.05, f"Qualisys.c3d took {best * 1000:.1f} ms"


# ---------------------------------------------------------------------------------------------------- MAT

def test_mat_cop_file():
    recording = read_recording(MAT)
    raw = scipy.io.loadmat(str(MAT))
    assert recording.format == "mat" and recording.n_samples == 3600 and recording.fs_hz == pytest.approx(120.0)
    assert np.all(np.isnan(recording.total_kg))
    centre = raw["fp_pts"].astype(float).mean(axis=0)
    assert centre.tolist() == [232.0, 254.0]
    np.testing.assert_allclose(recording.cop_x_mm, raw["cop_x"].ravel() - 232.0)
    np.testing.assert_allclose(recording.cop_y_mm, raw["cop_y"].ravel() - 254.0)
    np.testing.assert_allclose(recording.t_s, raw["time"].ravel())
    boundary = np.array(recording.metadata["boundary_mm"])
    np.testing.assert_allclose(boundary, raw["bound_pts"] - centre)
    assert boundary.shape == (6, 2) and np.ptp(boundary[:, 0]) > np.ptp(boundary[:, 1])  # two feet side by side
    mirrored = read_recording(MAT, axes="ml=-cop_x,ap=+cop_y")
    np.testing.assert_allclose(mirrored.cop_x_mm, -recording.cop_x_mm)
    np.testing.assert_allclose(np.array(mirrored.metadata["boundary_mm"])[:, 0], -boundary[:, 0])


def test_mat_broken_files(tmp_path):
    good = MAT.read_bytes()
    n = 10
    cases = {
        "cut.mat": (good[: len(good) // 2], "not a readable MATLAB file"),
        "empty.mat": (b"", "is empty"),
        "v73.mat": (b"MATLAB 7.3 MAT-file, Platform: GLNXA64" + b" " * 90 + b"\x89HDF", "v7.3.*-v7"),
    }
    for name, (content, message) in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(RecordingFormatError, match=f"{name}: .*{message}"):
            read_recording(tmp_path / name, format="mat")
    variables = {
        "text.mat": ({"time": np.arange(n) / 10, "cop_x": "abc", "cop_y": np.zeros(n)}, "cop_x holds <U3, not"),
        "no_time.mat": ({"t": np.arange(n) / 10, "cop_x": np.zeros(n), "cop_y": np.zeros(n)}, "no variable 'time'"),
        "short.mat": ({"time": np.arange(n) / 10, "cop_x": np.zeros(n - 1), "cop_y": np.zeros(n)}, "cop_x has 9"),
        "backwards.mat": ({"time": np.arange(n)[::-1] / 10, "cop_x": np.zeros(n), "cop_y": np.zeros(n)},
                          "goes back in time at element 2"),
        "matrix.mat": ({"time": np.arange(n) / 10, "cop_x": np.zeros((n, 2)), "cop_y": np.zeros(n)}, "matrix"),
    }
    for name, (content, message) in variables.items():
        scipy.io.savemat(str(tmp_path / name), content)
        with pytest.raises(RecordingFormatError, match=f"{name}: .*{message}"):
            read_recording(tmp_path / name)


# ---------------------------------------------------------------------------------------------------- folder (B.4)

SAMPLES_HEADER = "t_s,seq,raw_tl,raw_tr,raw_bl,raw_br,tl_kg,tr_kg,bl_kg,br_kg,total_kg,cop_x_mm,cop_y_mm,flags"


def write_folder(folder: Path, source, *, seq: bool = True) -> None:
    """A B.4 folder as the recorder writes it, from a Wii recording (COP empty where nobody stands)."""
    folder.mkdir()

    def cell(value, digits):
        return "" if value is None or not np.isfinite(value) else f"{value:.{digits}f}"

    rows = [SAMPLES_HEADER]
    for i in range(source.n_samples):
        raw = source.raw_counts[i]
        rows.append(",".join([f"{source.t_s[i]:.6f}", str(i) if seq else "", *(str(v) for v in raw),
                              *(cell(v, 6) for v in source.corners_kg[i]), cell(source.total_kg[i], 6),
                              cell(source.cop_x_mm[i], 6), cell(source.cop_y_mm[i], 6), "0"]))
    (folder / "samples.csv").write_text("\n".join(rows) + "\n")
    (folder / "summary.json").write_text(json.dumps({"schema_version": 1, "board_url": "wiiboard://",
                                                     "counters": {"samples": source.n_samples}}, indent=2))
    (folder / "events.csv").write_text('t_s,kind,detail\n6.3,step-on,\n175.7,step-off,"left, then right"\n')


def test_folder_round_trip(tmp_path, wii):
    write_folder(tmp_path / "rec", wii)
    assert detect_format(tmp_path / "rec") == "folder"
    assert detect_format(tmp_path / "rec" / "samples.csv") == "folder"
    recording = read_recording(tmp_path / "rec")
    assert recording.format == "folder" and recording.n_samples == wii.n_samples and recording.fs_hz is None
    np.testing.assert_allclose(recording.t_s, wii.t_s, atol=5e-7)
    np.testing.assert_allclose(recording.corners_kg, wii.corners_kg, atol=5e-7)
    np.testing.assert_allclose(recording.cop_x_mm, wii.cop_x_mm, atol=5e-7)  # NaN where empty, in both
    np.testing.assert_array_equal(np.isnan(recording.cop_y_mm), np.isnan(wii.cop_y_mm))
    assert recording.raw_counts.dtype == np.int64 and np.array_equal(recording.raw_counts, wii.raw_counts)
    assert recording.seq.dtype == np.int64 and recording.seq[-1] == wii.n_samples - 1
    assert recording.metadata["summary"]["board_url"] == "wiiboard://"
    assert recording.metadata["events"][1] == {"t_s": 175.7, "kind": "step-off", "detail": "left, then right"}
    assert recording.metadata["flags"].dtype == np.int64
    write_folder(tmp_path / "noseq", wii, seq=False)
    assert read_recording(tmp_path / "noseq").seq is None
    mirrored = read_recording(tmp_path / "rec", axes="ml=-x,ap=+y")
    np.testing.assert_array_equal(mirrored.corners_kg, recording.corners_kg[:, [1, 0, 3, 2]])


def test_folder_written_by_the_recorder(tmp_path):
    """The project's own RecordingWriter, read back."""
    from hardware.samples import LoadSample
    from trainer.recorder import RecordingWriter

    writer = RecordingWriter(tmp_path / "rec", board_url="sim://", board_identity="test", geometry=WII_BALANCE_BOARD)
    samples = [LoadSample(t_s=i / 100, tl_kg=10.0 + i, tr_kg=20.0, bl_kg=15.0, br_kg=25.0, seq=i) for i in range(50)]
    samples.append(LoadSample(t_s=0.5, tl_kg=0.1, tr_kg=0.0, bl_kg=0.0, br_kg=0.0, seq=50))
    writer.add_samples(samples)
    writer.close()
    recording = read_recording(tmp_path / "rec")
    assert recording.n_samples == 51 and recording.raw_counts is None
    assert np.isnan(recording.cop_x_mm[-1]) and np.isfinite(recording.cop_x_mm[:-1]).all()
    total, x, y = corners_to_cop(recording.corners_kg, WII_BALANCE_BOARD)
    np.testing.assert_allclose(recording.cop_x_mm[:-1], x[:-1], atol=1e-3)
    np.testing.assert_allclose(recording.cop_y_mm[:-1], y[:-1], atol=1e-3)
    assert recording.metadata["summary"]["schema_version"] >= 1


def test_folder_broken_files(tmp_path, wii):
    write_folder(tmp_path / "rec", wii)
    samples = tmp_path / "rec" / "samples.csv"
    lines = samples.read_text().split("\n")
    cases = {
        "required cell empty": (lines[:5] + [",".join([""] + lines[5].split(",")[1:])] + lines[6:], 6, "t_s is empty"),
        "fractional seq": (lines[:7] + [lines[7].replace(",6,", ",6.5,", 1)] + lines[8:], 8, "seq must be whole"),
        "backwards": (lines[:3] + [lines[9]] + lines[4:], 5, "t_s goes back in time"),
    }
    for what, (content, line, message) in cases.items():
        samples.write_text("\n".join(content))
        with pytest.raises(RecordingFormatError, match=f"samples.csv, line {line}: {message}"):
            read_recording(tmp_path / "rec")
    samples.write_text("\n".join(lines))
    (tmp_path / "rec" / "summary.json").write_text('{\n  "schema_version": 1,\n  "board_url": \n}')
    with pytest.raises(RecordingFormatError, match="summary.json, line 4: is not valid JSON"):
        read_recording(tmp_path / "rec")
    (tmp_path / "rec" / "summary.json").write_text("{}")
    (tmp_path / "rec" / "events.csv").write_text("t_s,kind,detail\n1.0,tap,\nsoon,tap,\n")
    with pytest.raises(RecordingFormatError, match="events.csv, line 3: t_s holds 'soon'"):
        read_recording(tmp_path / "rec")


# ---------------------------------------------------------------------------------------------------- broken text

TEXT_FORMATS = {
    # format: (source file, header line number, delimiter, a wrong header)
    "bds": (BDS, 1, "\t", "Time[s]\tFx[N]\tFy[N]\tFz[N]\tMx[Nm]\tMy[Nm]\tMz[Nm]\tCOPx[mm]\tCOPy[mm]"),
    "amti": (AMTI, 35, ",", "MocapFrame, MocapTime, DeviceFrame, Fx, Fy, Fz, Mx, Moment_Y, Mz, Cx, Cy, Cz"),
    "wii-recorder": (WII, 1, "\t", "Time\tCpX\tCpY\tBL\tBR\tTL\tTR\tWeight\tRAWBL\tRAWBR\tRAWTL\tRAWTR"),
    "kistler": (KISTLER, 1, "\t", "Time (s)\tChannel 0\tChannel 1\tChannel 2\tChannel 3"),
    "pds": (None, 1, "\t", "Time\tRGRF_X\tCOPNET_X\tGRFNET_X"),
    "folder": (None, 1, ",", SAMPLES_HEADER.replace("cop_x_mm", "cop_x")),
}


def _source_lines(fmt: str, tmp_path: Path, wii) -> tuple[list[str], str]:
    source, _, _, _ = TEXT_FORMATS[fmt]
    if fmt == "pds":
        source = tmp_path / "source_PDS01OR1grf.txt"
        write_pds(source, BDS)
    elif fmt == "folder":
        write_folder(tmp_path / "source_rec", wii)
        source = tmp_path / "source_rec" / "samples.csv"
    text = source.read_bytes().decode()
    newline = "\r\n" if "\r\n" in text else "\n"
    return text.split(newline), newline


def _write(tmp_path: Path, fmt: str, name: str, lines: list[str], newline: str) -> Path:
    if fmt == "folder":
        folder = tmp_path / name
        folder.mkdir()
        path = folder / "samples.csv"
    else:
        path = tmp_path / f"{name}.txt"
    path.write_bytes(newline.join(lines).encode())
    return path


@pytest.mark.parametrize("fmt", list(TEXT_FORMATS))
def test_broken_text_files_give_one_error_with_file_and_line(fmt, tmp_path, wii):
    _, header_line, delimiter, wrong_header = TEXT_FORMATS[fmt]
    lines, newline = _source_lines(fmt, tmp_path, wii)
    while not lines[-1].strip():
        lines.pop()
    last = len(lines)  # line number of the last data row
    cells = lines[header_line + 9].split(delimiter)
    cells[3] = "12,5" if delimiter == "\t" else "abc"
    cases = {
        "truncated": (lines[:-1] + [delimiter.join(lines[-1].split(delimiter)[:2])], last, "truncated row"),
        "empty": ([""], 1, "is empty"),
        "non_numeric": (lines[:header_line + 9] + [delimiter.join(cells)] + lines[header_line + 10:],
                        header_line + 10, "column 4 .* holds '(12,5|abc)', not a number"),
        "wrong_header": (lines[:header_line - 1] + [wrong_header] + lines[header_line:], header_line, ""),
        "header_only": (lines[:header_line], header_line + 1, "no data rows"),
        "blank_inside": (lines[:header_line + 3] + [""] + lines[header_line + 3:], header_line + 4, "blank line"),
    }
    if fmt == "folder":
        # A short last row WITHOUT a line end is what a crash leaves, and is dropped (tests/test_recorder.py);
        # a short row that was finished with its line end is an error like in any other format.
        cases["truncated"] = (cases["truncated"][0] + [""], last, "truncated row")
    for name, (content, line, message) in cases.items():
        path = _write(tmp_path, fmt, name, content, newline)
        target = path.parent if fmt == "folder" else path
        for how in ({"format": fmt}, {}):  # named, and detected (a header nobody knows fails detection on line 1)
            with pytest.raises(RecordingFormatError) as caught:
                read_recording(target, **how)
            error = caught.value
            text = str(error)
            where = path.name if fmt != "folder" else "samples.csv"
            assert where in text, (name, text)
            assert f"line {line}" in text, (name, how, text)
            assert error.line == line
            assert message == "" or re.search(message, text), (name, text)
            assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__), name


@settings(max_examples=40, deadline=None)
@given(rows=st.integers(1, 40), ncols=st.integers(2, 6), bad_row=st.integers(0, 39), bad_col=st.integers(0, 5),
       seed=st.integers(0, 2**32 - 1), bad=st.sampled_from(["x", "", "1.2.3", "--1", "1e", "0x1F"]))
def test_text_table_names_the_bad_line(rows, ncols, bad_row, bad_col, seed, bad):
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(rows, ncols))
    header = ["# a comment line", "\t".join(f"c{i}" for i in range(ncols))]
    body = ["\t".join(repr(float(v)) for v in row) for row in values]
    table = TextTable(Path("table.txt"), header + body, 1, "\t")
    np.testing.assert_array_equal(table.numbers(), values)
    bad_row, bad_col = bad_row % rows, bad_col % ncols
    cells = body[bad_row].split("\t")
    cells[bad_col] = bad
    broken = TextTable(Path("table.txt"), header + body[:bad_row] + ["\t".join(cells)] + body[bad_row + 1:], 1, "\t")
    with pytest.raises(RecordingFormatError, match=rf"table.txt, line {bad_row + 3}: column {bad_col + 1} \(c{bad_col}\)"):
        broken.numbers()


def test_real_pds_excerpt_reads_with_its_own_header_and_units():
    """The first 50 rows of a real PDS trial (tests/data/README.md): COP from COPNET_Z/COPNET_X in m, load in N."""
    excerpt = Path(__file__).resolve().parent / "data" / "PDS13OR1grf_head.txt"
    recording = read_recording(excerpt)
    table = np.loadtxt(excerpt, skiprows=1)
    header = excerpt.read_text().split("\n", 1)[0].split("\t")
    column = {name: table[:, i] for i, name in enumerate(header)}
    assert recording.format == "pds" and recording.n_samples == 50 and recording.fs_hz == 100.0
    np.testing.assert_allclose(recording.cop_x_mm, 1000 * column["COPNET_Z"], rtol=1e-12)  # Z is to the right
    np.testing.assert_allclose(recording.cop_y_mm, 1000 * column["COPNET_X"], rtol=1e-12)  # X is forward
    np.testing.assert_allclose(recording.total_kg, column["GRFNET_Y"] / 9.80665, rtol=1e-12)
    # The net load is the sum of the two plates: a check that the right columns were taken.
    np.testing.assert_allclose(recording.total_kg * 9.80665, column["RGRF_Y"] + column["LGRF_Y"], atol=1e-4)
