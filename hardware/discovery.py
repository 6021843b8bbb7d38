"""`--board auto` and `balance-trainer boards`: which real boards are attached, and why not where none is.

At this stage no real-board driver is built yet (the FP1 serial plate and the Wii Balance Board come with their own
issues), so discovery only looks and reports; `auto` then falls back to a replay of the shared Wii Balance Board
recording when it is there, else to the simulator.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

INPUT_DEVICES = Path("/proc/bus/input/devices")
WII_BOARD_NAME = "Nintendo Wii Remote Balance Board"
# The shared data folder sits beside the project checkout (../shared/data).
SHARED_WII_RECORDING = Path(__file__).resolve().parents[2] / "shared" / "data" / "wii_balance_board_recording.txt"


@dataclass
class Discovery:
    found: list[tuple[str, str]] = field(default_factory=list)  # (url, description)
    tried: list[str] = field(default_factory=list)  # one line per kind of board looked for and not found


def _look_for_wii_board(result: Discovery) -> None:
    try:
        text = INPUT_DEVICES.read_text(encoding="utf-8", errors="replace")
    except OSError:
        result.tried.append(f"wiiboard://: cannot read {INPUT_DEVICES} (no Linux input devices here)")
        return
    if WII_BOARD_NAME in text:
        result.tried.append("wiiboard://: a Wii Balance Board is connected, but this version has no driver for it yet")
    else:
        result.tried.append("wiiboard://: no Wii Balance Board among the kernel's input devices "
                            "(pair it with bluetoothctl first)")


def _look_for_serial_plates(result: Discovery) -> None:
    from serial.tools import list_ports

    # Only USB serial adapters can be a plate; the machine's own UARTs (/dev/ttyS*) are always listed.
    ports = [port.device for port in list_ports.comports() if port.vid is not None]
    if ports:
        result.tried.append(f"serial://: ports {', '.join(ports)} exist, but this version cannot talk to "
                            "an FP1 plate yet")
    else:
        result.tried.append("serial://: no USB serial port (no Arduino/ESP32 plate plugged in)")


def discover_boards() -> Discovery:
    result = Discovery()
    _look_for_wii_board(result)
    _look_for_serial_plates(result)
    return result


def fallback_board_url() -> tuple[str, str]:
    """(url, why) of the board `auto` uses when no real board is found."""
    if SHARED_WII_RECORDING.is_file():
        return (f"replay://{SHARED_WII_RECORDING}?loop=1",
                "No real board found: replaying a recorded Wii Balance Board session")
    return "sim://?profile=quiet", "No real board found: showing a simulated person"
