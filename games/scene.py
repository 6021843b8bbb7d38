"""Scenes and the stack that holds them.

A scene reacts to events in `handle`, advances its state by one fixed step in `update(dt_s)`, and paints that
state in `draw(surface)`, which never changes it (a frame may be drawn twice, or not at all). Only the top scene
of the stack receives events and updates; a scene asks to leave by setting `finished`.
"""
from __future__ import annotations


class Scene:
    """Base scene: override what you need. `finished = True` asks the app to pop it."""

    finished: bool = False

    def enter(self) -> None:
        """Pushed onto the stack."""

    def exit(self) -> None:
        """Popped off the stack."""

    def pause(self) -> None:
        """Another scene was pushed on top."""

    def resume(self) -> None:
        """The scene above was popped."""

    def handle(self, event) -> None:
        """One pygame event."""

    def update(self, dt_s: float) -> None:
        """Advance by one fixed step of dt_s seconds of game time."""

    def draw(self, surface) -> None:
        """Paint the current state; must not change it."""


class SceneStack:
    def __init__(self):
        self._scenes: list[Scene] = []

    @property
    def top(self) -> Scene | None:
        return self._scenes[-1] if self._scenes else None

    def __len__(self) -> int:
        return len(self._scenes)

    def push(self, scene: Scene) -> None:
        if self._scenes:
            self._scenes[-1].pause()
        self._scenes.append(scene)
        scene.enter()

    def pop(self) -> Scene:
        if not self._scenes:
            raise IndexError("pop from an empty scene stack")
        scene = self._scenes.pop()
        scene.exit()
        if self._scenes:
            self._scenes[-1].resume()
        return scene

    def replace(self, scene: Scene) -> None:
        if self._scenes:
            self._scenes.pop().exit()
        self._scenes.append(scene)
        scene.enter()

    def clear(self) -> None:
        while self._scenes:
            self.pop()
