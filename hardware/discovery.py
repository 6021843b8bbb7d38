"""`--board auto` and `balance-trainer boards`: which real boards are attached, and why not where none is.

Wii Balance Boards are found by name among the kernel's input devices in sysfs (hardware.wiiboard): the first is
`wiiboard://`, any further ones `evdev:///dev/input/eventN`. A board whose device file this user may not read is
not offered; its line says so, with the udev rule that fixes it. Where none is connected, the line says why (no
Bluetooth adapter, or none paired and connected). When no real board is found, `auto` falls back to a replay of
the shared Wii Balance Board recording when it is there, else to the simulator.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from hardware.wiiboard import DEV_INPUT, PERMISSION_FIX, SYSFS_ROOT, describe, find_wii_boards, why_no_wii_board

# The shared data folder sits beside the project checkout (../shared/data).
SHARED_WII_RECORDING = Path(__file__).resolve().parents[2] / "shared" / "data" / "wii_balance_board_recording.txt"


@dataclass
class Discovery:
    found: list[tuple[str, str]] = field(default_factory=list)  # (url, description)
    tried: list[str] = field(default_factory=list)  # one line per kind of board looked for and not found


def _readable(path: Path) -> bool:
    return os.access(path, os.R_OK)


def _look_for_wii_board(result: Discovery, sysfs_root: Path = SYSFS_ROOT, dev_root: Path = DEV_INPUT) -> None:
    boards = find_wii_boards(sysfs_root, dev_root)
    if not boards:
        result.tried.append(f"wiiboard://: {why_no_wii_board(sysfs_root)}")
        return
    for board in boards:
        url = "wiiboard://" if board is boards[0] else f"evdev://{board.dev_path}"
        if not os.path.exists(board.dev_path):
            result.tried.append(f"{url}: {describe(board)} is connected, but {board.dev_path} does not exist "
                                f"(no device nodes here: a container without /dev/input?)")
        elif not _readable(board.dev_path):
            result.tried.append(f"{url}: {describe(board)} is connected, but this user may not read "
                                f"{board.dev_path}: {PERMISSION_FIX}")
        else:
            result.found.append((url, describe(board)))


def usb_serial_ports() -> list[str]:
    from serial.tools import list_ports

    # Only USB serial adapters can be a plate; the machine's own UARTs (/dev/ttyS*) are always listed.
    return [port.device for port in list_ports.comports() if port.vid is not None]


def _look_for_serial_plates(result: Discovery, ports: list[str] | None = None) -> None:
    """Opens each port and waits for an FP1 HELLO (up to a few seconds for a port that stays silent)."""
    from hardware.serial_plate import SerialPlateSource
    from trainer.errors import BoardError

    ports = usb_serial_ports() if ports is None else ports
    if not ports:
        result.tried.append("serial://: no USB serial port (no Arduino/ESP32 plate plugged in)")
        return
    for port in ports:
        plate = SerialPlateSource(port)
        try:
            plate.open()
        except BoardError as error:
            text = str(error)
            result.tried.append(text if text.startswith("serial://") else f"serial://{port}: {text}")
            continue
        try:
            result.found.append((f"serial://{port}", plate.identity))
        finally:
            plate.close()


def discover_boards(*, sysfs_root: Path = SYSFS_ROOT, dev_root: Path = DEV_INPUT,
                    serial_ports: list[str] | None = None) -> Discovery:
    """What is attached; `sysfs_root`, `dev_root` and `serial_ports` point elsewhere in tests."""
    result = Discovery()
    _look_for_wii_board(result, sysfs_root, dev_root)
    _look_for_serial_plates(result, serial_ports)
    return result


def fallback_board_url() -> tuple[str, str]:
    """(url, why) of the board `auto` uses when no real board is found."""
    if SHARED_WII_RECORDING.is_file():
        return (f"replay://{SHARED_WII_RECORDING}?loop=1",
                "No real board found: replaying a recorded Wii Balance Board session")
    return "sim://?profile=quiet", "No real board found: showing a simulated person"
