"""Discovery on a fake sysfs tree: Wii Balance Boards found by name, and the reason where none is usable."""
from __future__ import annotations

from pathlib import Path

import hardware.discovery as discovery
from hardware.discovery import discover_boards, fallback_board_url
from hardware.wiiboard import UDEV_RULE, WII_BOARD_NAME


def fake_tree(root: Path, devices: dict[str, str], *, uniq: dict[str, str] | None = None, bluetooth=("hci0",),
              nodes=True) -> dict:
    sysfs, dev = root / "sys", root / "dev" / "input"
    dev.mkdir(parents=True)
    (sysfs / "class" / "input").mkdir(parents=True)
    for event, name in devices.items():
        folder = sysfs / "class" / "input" / event / "device"
        folder.mkdir(parents=True)
        (folder / "name").write_text(name + "\n")
        if uniq and event in uniq:
            (folder / "device").mkdir()
            (folder / "device" / "uevent").write_text(f"HID_ID=0005:0000057E:00000306\nHID_UNIQ={uniq[event]}\n")
        if nodes:
            (dev / event).touch()
    for adapter in bluetooth:
        (sysfs / "class" / "bluetooth" / adapter).mkdir(parents=True)
    return {"sysfs_root": sysfs, "dev_root": dev}


def wii_lines(result) -> list[str]:
    return [line for line in result.tried if "wiiboard://" in line or "evdev://" in line]


def test_a_connected_board_is_found(tmp_path):
    roots = fake_tree(tmp_path, {"event0": "Power Button", "event4": WII_BOARD_NAME, "event5": "Nintendo Wii Remote"},
                      uniq={"event4": "00:1f:32:aa:bb:cc"})
    result = discover_boards(**roots)
    assert result.found[0] == ("wiiboard://", f"Wii Balance Board 00:1f:32:aa:bb:cc at {roots['dev_root']}/event4")
    assert wii_lines(result) == []
    assert any(line.startswith("serial://") for line in result.tried)  # the serial part still looks


def test_a_second_board_is_offered_by_its_device(tmp_path):
    roots = fake_tree(tmp_path, {"event12": WII_BOARD_NAME, "event7": WII_BOARD_NAME})
    urls = [url for url, _ in discover_boards(**roots).found]
    assert urls[:2] == ["wiiboard://", f"evdev://{roots['dev_root']}/event12"]


def test_no_bluetooth_adapter(tmp_path):
    roots = fake_tree(tmp_path, {"event0": "Power Button"}, bluetooth=())
    result = discover_boards(**roots)
    assert not [url for url, _ in result.found if url.startswith(("wiiboard", "evdev"))]
    (line,) = wii_lines(result)
    assert line.startswith("wiiboard://: no Bluetooth adapter") and "class/bluetooth" in line


def test_an_adapter_but_no_board(tmp_path):
    roots = fake_tree(tmp_path, {"event0": "Power Button"})
    (line,) = wii_lines(discover_boards(**roots))
    assert "no Wii Balance Board" in line and "bluetoothctl" in line and "sync button" in line


def test_a_board_this_user_may_not_read(tmp_path, monkeypatch):
    roots = fake_tree(tmp_path, {"event4": WII_BOARD_NAME})
    monkeypatch.setattr(discovery, "_readable", lambda path: False)  # root may read anything; pretend not
    result = discover_boards(**roots)
    assert not [url for url, _ in result.found if url.startswith(("wiiboard", "evdev"))]
    (line,) = wii_lines(result)
    assert "may not read" in line and f"{roots['dev_root']}/event4" in line and UDEV_RULE in line
    assert "udevadm control --reload-rules" in line and "\n" not in line


def test_a_board_without_a_device_node(tmp_path):
    roots = fake_tree(tmp_path, {"event4": WII_BOARD_NAME}, nodes=False)
    (line,) = wii_lines(discover_boards(**roots))
    assert "does not exist" in line


def test_the_fallback_is_a_replay_or_the_simulator():
    url, why = fallback_board_url()
    assert url.startswith(("replay://", "sim://")) and why.startswith("No real board found")


def test_the_machine_itself_answers_without_error():
    result = discover_boards()
    assert result.found or result.tried
    for url, description in result.found:
        assert "://" in url and description
    if not Path("/sys/class/bluetooth").is_dir():
        assert any("no Bluetooth adapter" in line for line in result.tried)



def test_serial_ports_are_probed_for_an_fp1_hello(tmp_path):
    """A real pty with the FP1 device simulator is found; a silent port and a missing one say why not."""
    import os
    import pty

    from hardware.discovery import discover_boards
    from hardware.fp1_device import PlateDevice

    device = PlateDevice(load=(10.0, 10.0, 10.0, 10.0))
    plate_port = device.start()
    controller, terminal = pty.openpty()
    try:
        result = discover_boards(sysfs_root=tmp_path, dev_root=tmp_path,
                                 serial_ports=[plate_port, os.ttyname(terminal), "/dev/nonexistent-plate"])
    finally:
        device.stop()
        os.close(controller)
        os.close(terminal)
    assert [url for url, _ in result.found] == [f"serial://{plate_port}"]
    assert "a1b2c3d4e5f6" in result.found[0][1] and "UNCALIBRATED" in result.found[0][1]
    serial_lines = [line for line in result.tried if line.startswith("serial://")]
    assert len(serial_lines) == 2
    assert "no valid FP1 frame" in serial_lines[0] and "no such serial port" in serial_lines[1]
