"""The cache of exported files: bounded by bytes, and a hit never waits for another export."""

from __future__ import annotations

import threading

import pytest

from explorer.runtimes import artifacts
from explorer.runtimes.artifacts import Artifact, cached_artifact, cached_bytes


@pytest.fixture(autouse=True)
def empty_cache(monkeypatch):
    monkeypatch.setattr(artifacts, "_CACHE", type(artifacts._CACHE)())
    monkeypatch.setattr(artifacts, "MAX_BYTES", 1000)


def file_of(size: int, kind: str = "onnx") -> Artifact:
    return Artifact(kind, b"x" * size, 0.0)


def test_the_cache_is_bounded_by_bytes_dropping_the_least_recently_used():
    builds = []

    def build(size):
        def make():
            builds.append(size)
            return file_of(size)
        return make

    for key, size in (("a", 400), ("b", 300), ("c", 200)):  # 900 bytes: all kept
        cached_artifact(key, build(size))
    assert cached_bytes() == 900
    cached_artifact("a", build(400))  # a hit: "a" becomes the most recently used, nothing built
    assert builds == [400, 300, 200]
    cached_artifact("d", build(350))  # 1250 bytes > 1000: "b" (least recently used) goes, 950 left
    assert cached_bytes() == 950
    cached_artifact("b", build(300))  # gone, so built again; "c" (200) then "a" (400) make room
    assert builds == [400, 300, 200, 350, 300] and cached_bytes() == 650
    cached_artifact("d", build(350))
    assert builds[-1] == 300  # "d" was kept: a hit


def test_a_file_larger_than_the_bound_is_returned_but_not_kept():
    cached_artifact("small", lambda: file_of(100))
    big = cached_artifact("big", lambda: file_of(5000))
    assert len(big.data) == 5000 and cached_bytes() == 100  # the small one was not pushed out for it
    rebuilt = []
    cached_artifact("big", lambda: rebuilt.append(1) or file_of(5000))
    assert rebuilt == [1]


def test_a_hit_is_not_blocked_while_another_export_builds():
    cached_artifact("ready", lambda: file_of(10))
    building, release = threading.Event(), threading.Event()

    def slow_build():
        building.set()
        assert release.wait(30), "the test never released the export"
        return file_of(20)

    exporter = threading.Thread(target=cached_artifact, args=("slow", slow_build))
    exporter.start()
    try:
        assert building.wait(30)
        got = []
        reader = threading.Thread(target=lambda: got.append(cached_artifact("ready", lambda: file_of(99))))
        reader.start()
        reader.join(10)  # a hit only reads the table: it must be done long before the export is released
        assert not reader.is_alive() and len(got[0].data) == 10
    finally:
        release.set()
        exporter.join(30)
    assert cached_bytes() == 30
