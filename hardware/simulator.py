"""`sim://?seed=1&profile=quiet`: a synthetic person standing on a Wii Balance Board.

The model
---------
Each direction (x = medio-lateral, ML; y = antero-posterior, AP) is a separate single-link inverted pendulum
pivoting at the ankles, stabilised by a delayed proportional-derivative controller and driven by smooth noise
(the "independent channel" sway model of Peterka 2002 and Maurer & Peterka 2005, J Neurophysiol 93:189-200,
without their integral term):

    J·θ''(t) = m·g·h·θ(t) − T(t)
    T(t)     = m·g·h·r(t) − J·r''(t) + Kp·(θ(t−τ) − r(t−τ)) + Kd·(θ'(t−τ) − r'(t−τ)) + T_noise
    COP(t)   = T(t) / (m·g)                       (+ the position of the supporting foot)

θ is the body's lean, T the ankle torque, r the lean the person plans (zero except in weight shifts). The
feed-forward m·g·h·r − J·r'' is the torque that would carry a noise-free body along the plan, so the delayed
feedback only corrects deviations from it; a planned shift then shows what real ones show: the COP first moves
the other way to set the body going, overshoots to stop it, and settles. The vertical force is the body weight, so
the COP is the ankle torque over m·g; equivalently COP = h·θ − J·θ''/(m·g): the COP runs ahead of the centre of
mass and pushes it back. T_noise is white noise through two first-order low-passes in cascade (an
Ornstein-Uhlenbeck process with correlation time `noise_tau_s`, then a `smooth_tau_s` stage). The second stage
makes the torque, hence the COP, a smooth signal: with one stage only the COP path length (mean velocity) grows
with the sampling rate, like white noise, and comes out 3-6 times too fast for its amplitude. The equations are
integrated with semi-implicit Euler at a fixed 1 ms step, in blocks of one second whose random numbers come from
a generator seeded by `seed`, so the samples depend only on the seed and the sample index, never on when or how
often the source is polled. Samples are taken at t_i = i / rate_hz by linear interpolation between model steps.
20 s of model time run before t = 0, so the sway is already in its steady state at the first sample.

Parameter values and why (m = weight_kg, default 70 kg; body height default 175 cm):
- h = 0.516 × body height (whole-body COM at about 55.5 % of height, ankle axis at about 3.9 %, Winter's
  anthropometric tables): 0.90 m for 175 cm. The feet (about 3 % of the mass) are not taken out of m.
- J = 1.15·m·h²: the body's own moment of inertia about its COM adds some 10-20 % to the point-mass m·h².
- τ = 0.15 s neural delay (sensory-motor loop delays of 0.1-0.2 s in the models cited above).
- Kp, Kd are given relative to the gravitational stiffness m·g·h (the least Kp that can hold the pendulum up):
  Kp = 1.4·mgh, Kd = 0.35·mgh·s in AP, of the order such models need to fit quiet stance (Kp somewhat above mgh,
  the damping that keeps a 0.15 s loop well damped); Kp = 1.8·mgh, Kd = 0.45·mgh·s in ML, because with the feet
  side by side ML balance is mostly the hips loading and unloading the legs (Winter et al. 1996), stiffer and
  faster than the ankles.
- Noise amplitudes (`noise_mm`: the torque noise's standard deviation expressed as the COP shift it would cause
  alone, σ_T/(m·g)) and time constants were tuned so that 60 s trials of each profile land on published values,
  measured on the noise-free model COP at 100 Hz (medians of ten 60 s trials, for each of seeds 1-4):
    quiet        8.2-8.6 mm/s mean velocity, 1.9-2.0 cm² 95 % ellipse, RMS 2.5 mm ML and 4.1-4.5 mm AP, mean
                 frequency 0.22 Hz AP and 0.33 Hz ML (seeds 1-4). BDS (Santos & Duarte 2016), young adults, eyes
                 open, firm surface: medians 8.0 mm/s, 2.02 cm², 0.22 Hz.
    eyes-closed  11.3-11.9 mm/s, 3.1-3.3 cm²: noise about 20 % larger and faster (Romberg ratios of 1.2-2 are
                 usual; the BDS young eyes-closed firm medians are only 8.3 mm/s, 2.13 cm²).
    single-leg   37-39 mm/s, 9-10 cm², RMS 7.5-8 mm ML > 6-6.5 mm AP, about the standing foot's centre: on one
                 foot the base of support is narrow and the ankle and hip corrections are fast and large (single-leg
                 stance of healthy young adults is usually reported at 2-5 cm/s).
    weight-shift quiet-like sway (noise 20 % larger) about a planned ML path: centre 8 s, right +120 mm for 20 s,
                 centre 8 s, left −120 mm for 20 s, each change a 1.5 s minimum-jerk movement (a 56 s cycle, like
                 the VU Amsterdam Wii Balance Board recording in shared/data, which holds about ±12 cm for about
                 20 s and moves between positions in about a second, with the same counter-movement first).
- The feet stand on the board's footprints, their centres `FOOT_CENTRE_X_MM` = ±100 mm from the middle; one-leg
  stance balances about the standing foot (`leg=right`, the default, or `leg=left`).
- Sensor noise: independent Gaussian noise of `noise_kg` = 0.03 kgf (standard deviation) on each corner, as
  measured on the empty board at the start of the Wii recording (0.030-0.033 kgf per sensor). `noise_kg=0` gives
  the model's own COP exactly (through the one COP formula in trainer.cop).

URL parameters: seed (whole number, 1), profile (quiet | eyes-closed | single-leg | weight-shift), rate_hz (100),
weight_kg (70), height_cm (175), leg (right | left), noise_kg (0.03), speed (1 = real time; `max` or 0: as fast as
asked, in chunks), empty_s (0: seconds of empty board before the person steps on, the load ramping up over
`STEP_ON_S`), duration_s (none: endless; otherwise the source ENDs after that many seconds).
"""
from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable

import numpy as np

from hardware.samples import G_M_S2, WII_BALANCE_BOARD, LoadSample
from hardware.sources import BoardUrl, SourceState, register_scheme
from trainer.cop import cop_to_corners
from trainer.errors import BoardError
from trainer.jit import kernel

MODEL_STEP_S = 0.001  # fixed integration step
STEPS_PER_BLOCK = 1000  # one second of model time per block of random numbers
WARM_UP_S = 20.0
NEURAL_DELAY_S = 0.15
INERTIA_FACTOR = 1.15  # J = INERTIA_FACTOR · m · h²
COM_HEIGHT_PER_BODY_HEIGHT = 0.516
FOOT_CENTRE_X_MM = 100.0
STEP_ON_S = 0.6
FAST_CHUNK_SAMPLES = 1024
MAX_RATE_HZ = 1000.0  # no faster than the model step
WEIGHT_SHIFT_MM = 120.0
WEIGHT_SHIFT_RAMP_S = 1.5
# (target ML position in mm as a multiple of WEIGHT_SHIFT_MM, seconds held) for one weight-shift cycle
WEIGHT_SHIFT_CYCLE = ((0.0, 8.0), (1.0, 20.0), (0.0, 8.0), (-1.0, 20.0))

ML, AP = 0, 1  # model axis order: x then y


@dataclass(frozen=True)
class AxisControl:
    """Controller and noise of one direction; gains relative to the gravitational stiffness m·g·h."""

    stiffness_rel: float  # Kp / (m g h)
    damping_rel_s: float  # Kd / (m g h), seconds
    noise_mm: float  # standard deviation of the noise torque, as the COP shift it alone would cause
    noise_tau_s: float  # correlation time of the Ornstein-Uhlenbeck stage
    smooth_tau_s: float  # time constant of the smoothing stage


@dataclass(frozen=True)
class SwayProfile:
    name: str
    ml: AxisControl
    ap: AxisControl
    single_leg: bool = False  # balance about one foot's centre instead of the middle of the board
    weight_shift: bool = False  # follow WEIGHT_SHIFT_CYCLE in ML


_QUIET_AP = AxisControl(1.4, 0.35, 1.6, 1.0, 0.4)
_QUIET_ML = AxisControl(1.8, 0.45, 1.65, 1.0, 0.4)
PROFILES: dict[str, SwayProfile] = {
    "quiet": SwayProfile("quiet", _QUIET_ML, _QUIET_AP),
    "eyes-closed": SwayProfile("eyes-closed", AxisControl(1.8, 0.45, 1.95, 1.0, 0.3),
                               AxisControl(1.4, 0.35, 1.9, 1.0, 0.3)),
    "single-leg": SwayProfile("single-leg", AxisControl(1.8, 0.40, 2.6, 0.3, 0.08),
                              AxisControl(2.0, 0.45, 2.2, 0.3, 0.08), single_leg=True),
    "weight-shift": SwayProfile("weight-shift", AxisControl(1.8, 0.45, 2.0, 1.0, 0.4),
                                AxisControl(1.4, 0.35, 1.9, 1.0, 0.4), weight_shift=True),
}


@kernel
def pendulum_kernel(dt_s, inertia, mgh, kp, kd, a_noise, s_noise, a_smooth, feedforward_nm, ref_theta_delayed,
                    ref_omega_delayed, xi, state, hist_theta, hist_omega, hist_pos, torque_out):
    """Advance both axes by xi.shape[0] steps. state[axis] = (θ, θ', noise stage 1, noise stage 2);
    hist_* is a ring of the last delay+1 values of θ and θ' (hist_pos[0] is the newest slot); the planned posture
    enters as its feed-forward torque now and its angle and speed one delay ago; torque_out gets the ankle torque."""
    n_hist = hist_theta.shape[0]
    pos = hist_pos[0]
    for i in range(xi.shape[0]):
        delayed = (pos + 1) % n_hist  # the oldest slot: delay steps ago
        for a in range(2):
            theta = state[a, 0]
            omega = state[a, 1]
            n1 = a_noise[a] * state[a, 2] + s_noise[a] * xi[i, a]
            n2 = a_smooth[a] * state[a, 3] + (1.0 - a_smooth[a]) * n1
            error = hist_theta[delayed, a] - ref_theta_delayed[i, a]
            error_rate = hist_omega[delayed, a] - ref_omega_delayed[i, a]
            torque = feedforward_nm[i, a] + kp[a] * error + kd[a] * error_rate + n2
            omega += (mgh * theta - torque) / inertia * dt_s
            theta += omega * dt_s
            state[a, 0] = theta
            state[a, 1] = omega
            state[a, 2] = n1
            state[a, 3] = n2
            hist_theta[delayed, a] = theta
            hist_omega[delayed, a] = omega
            torque_out[i, a] = torque
        pos = delayed
    hist_pos[0] = pos


def weight_shift_target(t_s) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ML target of the weight-shift profile at times t_s (WEIGHT_SHIFT_CYCLE with minimum-jerk ramps, still
    at the centre before t = 0): (position mm, velocity mm/s, acceleration mm/s²)."""
    t = np.asarray(t_s, dtype=np.float64)
    holds = np.array([hold for _, hold in WEIGHT_SHIFT_CYCLE])
    levels = np.array([level for level, _ in WEIGHT_SHIFT_CYCLE]) * WEIGHT_SHIFT_MM
    starts = np.concatenate(([0.0], np.cumsum(holds)[:-1]))
    phase = np.mod(np.maximum(t, 0.0), holds.sum())
    segment = np.searchsorted(starts, phase, side="right") - 1
    step = levels[segment] - levels[segment - 1]  # segment 0 ramps from the cycle's last level
    step = np.where(t < holds[0], 0.0, step)  # except the very first hold, which starts still
    # Minimum-jerk ramps (Flash & Hogan 1985), the smooth way people move: zero velocity and acceleration at both ends.
    u = np.clip((phase - starts[segment]) / WEIGHT_SHIFT_RAMP_S, 0.0, 1.0)
    ramp_s = WEIGHT_SHIFT_RAMP_S
    position = levels[segment] - step * (1.0 - (10 * u**3 - 15 * u**4 + 6 * u**5))
    velocity = step * (30 * u**2 - 60 * u**3 + 30 * u**4) / ramp_s
    acceleration = step * (60 * u - 180 * u**2 + 120 * u**3) / ramp_s**2
    return position, velocity, acceleration


class SwayModel:
    """The simulated person: the model COP (mm, board frame) one second at a time, deterministic by seed."""

    def __init__(self, profile: SwayProfile, *, seed: int, weight_kg: float, height_cm: float,
                 leg: str = "right"):
        self.profile = profile
        self.com_height_m = COM_HEIGHT_PER_BODY_HEIGHT * height_cm / 100.0
        self.weight_kg = weight_kg
        self._mgh = weight_kg * G_M_S2 * self.com_height_m
        self._inertia = INERTIA_FACTOR * weight_kg * self.com_height_m**2
        axes = (profile.ml, profile.ap)
        dt = MODEL_STEP_S
        self._kp = np.array([ax.stiffness_rel * self._mgh for ax in axes])
        self._kd = np.array([ax.damping_rel_s * self._mgh for ax in axes])
        self._a_noise = np.array([math.exp(-dt / ax.noise_tau_s) for ax in axes])
        noise_nm = np.array([ax.noise_mm / 1000.0 * weight_kg * G_M_S2 for ax in axes])
        self._s_noise = noise_nm * np.sqrt(1.0 - self._a_noise**2)  # stationary std of stage 1 = noise_nm
        self._a_smooth = np.array([math.exp(-dt / ax.smooth_tau_s) for ax in axes])
        self.offset_x_mm = (FOOT_CENTRE_X_MM if leg == "right" else -FOOT_CENTRE_X_MM) if profile.single_leg else 0.0
        self._rng = np.random.default_rng(seed)
        self._state = np.zeros((2, 4))
        n_hist = int(round(NEURAL_DELAY_S / dt)) + 1
        self._hist_theta = np.zeros((n_hist, 2))
        self._hist_omega = np.zeros((n_hist, 2))
        self._hist_pos = np.zeros(1, dtype=np.int64)
        self._block = -int(WARM_UP_S)  # index of the next block; block k covers model time [k, k + 1) s
        self._last_cop = np.zeros(2)
        while self._block < 0:
            self.next_block()

    def next_block(self) -> tuple[float, np.ndarray]:
        """(start_s, cop_mm) for the next second: cop_mm (STEPS_PER_BLOCK + 1, 2) at start_s + j·MODEL_STEP_S,
        its first row being the last row of the previous block."""
        start_s = float(self._block)
        times = start_s + MODEL_STEP_S * np.arange(1, STEPS_PER_BLOCK + 1)
        feedforward = np.zeros((STEPS_PER_BLOCK, 2))
        ref_delayed = np.zeros((STEPS_PER_BLOCK, 2))
        ref_rate_delayed = np.zeros((STEPS_PER_BLOCK, 2))
        if self.profile.weight_shift:
            # The person plans the COM path and applies the torque that would move a noise-free body along it
            # (m·g·h·r − J·r''); the delayed feedback corrects the error from the plan, not from a fixed posture.
            to_rad = 1.0 / 1000.0 / self.com_height_m
            position, _, acceleration = weight_shift_target(times)
            feedforward[:, ML] = (self._mgh * position - self._inertia * acceleration) * to_rad
            position, velocity, _ = weight_shift_target(times - NEURAL_DELAY_S)
            ref_delayed[:, ML] = position * to_rad
            ref_rate_delayed[:, ML] = velocity * to_rad
        xi = self._rng.standard_normal((STEPS_PER_BLOCK, 2))
        torque = np.empty((STEPS_PER_BLOCK, 2))
        pendulum_kernel(MODEL_STEP_S, self._inertia, self._mgh, self._kp, self._kd, self._a_noise, self._s_noise,
                        self._a_smooth, feedforward, ref_delayed, ref_rate_delayed, xi, self._state,
                        self._hist_theta, self._hist_omega, self._hist_pos, torque)
        cop = np.empty((STEPS_PER_BLOCK + 1, 2))
        cop[0] = self._last_cop
        cop[1:] = torque / (self.weight_kg * G_M_S2) * 1000.0
        cop[1:, ML] += self.offset_x_mm
        self._last_cop = cop[-1].copy()
        self._block += 1
        return start_s, cop


class SimulatorSource:
    """A LoadSource: the SwayModel's COP and the body weight, split over the Wii board's corners, plus noise."""

    def __init__(self, *, seed: int = 1, profile: str = "quiet", rate_hz: float = 100.0, weight_kg: float = 70.0,
                 height_cm: float = 175.0, leg: str = "right", noise_kg: float = 0.03, speed: float | None = 1.0,
                 empty_s: float = 0.0, duration_s: float | None = None,
                 clock: Callable[[], float] = time.monotonic, url: str | None = None):
        if profile not in PROFILES:
            raise BoardError(f"sim: unknown profile '{profile}' (known: {', '.join(PROFILES)})")
        if not 0 < rate_hz <= MAX_RATE_HZ:
            raise BoardError(f"sim: rate_hz must lie in (0, {MAX_RATE_HZ:g}], not {rate_hz:g}")
        if weight_kg <= 0 or height_cm <= 0 or noise_kg < 0 or empty_s < 0:
            raise BoardError("sim: weight_kg and height_cm must be positive, noise_kg and empty_s not negative")
        if speed is not None and speed <= 0:
            raise BoardError(f"sim: speed must be positive (or None for as fast as possible), not {speed}")
        if duration_s is not None and duration_s <= 0:
            raise BoardError(f"sim: duration_s must be positive, not {duration_s:g}")
        if leg not in ("left", "right"):
            raise BoardError(f"sim: leg must be left or right, not '{leg}'")
        self.seed, self.profile, self.rate_hz = seed, profile, float(rate_hz)
        self.weight_kg, self.height_cm, self.leg = float(weight_kg), float(height_cm), leg
        self.noise_kg, self.speed, self.empty_s, self.duration_s = float(noise_kg), speed, float(empty_s), duration_s
        self.url = url or f"sim://?seed={seed}&profile={profile}"
        leg_text = f", {leg} leg" if PROFILES[profile].single_leg else ""
        self.identity = f"simulated person ({profile}{leg_text}, seed {seed}, {weight_kg:g} kg)"
        self.geometry = WII_BALANCE_BOARD
        self.state = SourceState.CONNECTING
        self._clock = clock
        self._n_samples = None if duration_s is None else math.ceil(duration_s * self.rate_hz - 1e-9)

    @property
    def paced(self) -> bool:
        return self.speed is not None

    def open(self) -> None:
        self._model = SwayModel(PROFILES[self.profile], seed=self.seed, weight_kg=self.weight_kg,
                                height_cm=self.height_cm, leg=self.leg)
        # Sensor noise has its own stream, so the person is the same whatever noise_kg is.
        self._sensor_rng = np.random.default_rng([self.seed, 1])
        self._pending: deque[LoadSample] = deque()
        self._generated = 0  # samples generated so far (handed out or pending)
        self._next = 0  # index of the next sample to hand out
        self._started = self._clock()
        self.state = SourceState.STREAMING

    def _due_index(self) -> int:
        """One past the index of the last sample due now."""
        if self.speed is None:
            due = self._next + FAST_CHUNK_SAMPLES
        else:
            elapsed_s = (self._clock() - self._started) * self.speed
            due = math.floor(elapsed_s * self.rate_hz + 1e-9) + 1
        return due if self._n_samples is None else min(due, self._n_samples)

    def _generate_block(self) -> None:
        index, t_s, x, y = _sample_block(self._model, self.rate_hz)
        if self.empty_s > 0:
            total = self.weight_kg * np.clip((t_s - self.empty_s) / STEP_ON_S, 0.0, 1.0)
        else:
            total = np.full(len(t_s), self.weight_kg)
        corners = cop_to_corners(x, y, total, self.geometry)
        corners += self._sensor_rng.standard_normal(corners.shape) * self.noise_kg
        for i, t, c in zip(index.tolist(), t_s.tolist(), corners.tolist()):
            self._pending.append(LoadSample(t, c[0], c[1], c[2], c[3], seq=i))
        self._generated = int(index[-1]) + 1 if len(index) else self._generated

    def read(self) -> list[LoadSample]:
        if self.state is not SourceState.STREAMING:
            return []
        end = self._due_index()
        while self._generated < end:
            self._generate_block()
        out = [self._pending.popleft() for _ in range(max(0, end - self._next))]
        self._next = max(self._next, end)
        if self._n_samples is not None and self._next >= self._n_samples:
            self.state = SourceState.ENDED
        return out

    def close(self) -> None:
        if self.state is SourceState.STREAMING:
            self.state = SourceState.ENDED


def _sample_block(model: SwayModel, rate_hz: float):
    """(index, t_s, cop_x_mm, cop_y_mm) of the samples t_i = i / rate_hz in the model's next second."""
    start_s, cop = model.next_block()
    first = math.ceil(start_s * rate_hz - 1e-9)
    stop = math.ceil((start_s + 1.0) * rate_hz - 1e-9)
    index = np.arange(first, stop)
    t_s = index / rate_hz
    grid = start_s + MODEL_STEP_S * np.arange(STEPS_PER_BLOCK + 1)
    return index, t_s, np.interp(t_s, grid, cop[:, ML]), np.interp(t_s, grid, cop[:, AP])


def simulate_cop(n_samples: int, *, seed: int = 1, profile: str = "quiet", rate_hz: float = 100.0,
                 weight_kg: float = 70.0, height_cm: float = 175.0, leg: str = "right"):
    """(t_s, cop_x_mm, cop_y_mm): the noise-free model COP at the first n_samples sample times, which is what
    `sim://` with the same parameters puts on the board before sensor noise."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile '{profile}' (known: {', '.join(PROFILES)})")
    model = SwayModel(PROFILES[profile], seed=seed, weight_kg=weight_kg, height_cm=height_cm, leg=leg)
    parts = []
    done = 0
    while done < n_samples:
        index, t_s, x, y = _sample_block(model, rate_hz)
        parts.append((t_s, x, y))
        done += len(index)
    t_s, x, y = (np.concatenate(column)[:n_samples] for column in zip(*parts)) if parts else (np.empty(0),) * 3
    return t_s, x, y


@register_scheme("sim")
def _from_url(url: BoardUrl) -> SimulatorSource:
    url.check_known(("seed", "profile", "rate_hz", "weight_kg", "height_cm", "leg", "noise_kg", "speed", "empty_s",
                     "duration_s"))
    if url.path not in ("", "/"):
        raise BoardError(f"{url.text}: a simulator has no path; write e.g. sim://?seed=1&profile=quiet")
    rate_hz = url.take_float("rate_hz", 100.0)
    if not 0 < rate_hz <= MAX_RATE_HZ:
        raise BoardError(f"{url.text}: 'rate_hz' must lie between 0 and {MAX_RATE_HZ:g}, not {rate_hz:g}")
    weight_kg = url.take_float("weight_kg", 70.0)
    height_cm = url.take_float("height_cm", 175.0)
    if weight_kg <= 0 or height_cm <= 0:
        raise BoardError(f"{url.text}: 'weight_kg' and 'height_cm' must be positive")
    duration_text = url.params.get("duration_s")
    duration_s = None if duration_text is None else url.take_float("duration_s", 0.0)
    if duration_s is not None and duration_s <= 0:
        raise BoardError(f"{url.text}: 'duration_s' must be positive, not {duration_text}")
    return SimulatorSource(
        seed=url.take_int("seed", 1),
        profile=url.take_choice("profile", "quiet", tuple(PROFILES)),
        rate_hz=rate_hz, weight_kg=weight_kg, height_cm=height_cm,
        leg=url.take_choice("leg", "right", ("right", "left")),
        noise_kg=url.take_float("noise_kg", 0.03, minimum=0.0),
        speed=url.take_speed(),
        empty_s=url.take_float("empty_s", 0.0, minimum=0.0),
        duration_s=duration_s,
        url=url.text,
    )


if __name__ == "__main__":
    from hardware.fp1_device import main
    raise SystemExit(main())
