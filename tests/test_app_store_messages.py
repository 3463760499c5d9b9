"""The latency store is one object for every session (st.cache_resource): a problem one session's
store operations met is that session's to see, not every session's, and it goes once resolved."""

import pytest

from explorer.store import FILE_NAME


@pytest.fixture
def fresh_store(tmp_path, monkeypatch):
    from ui.state import latency_store

    monkeypatch.setenv("MOBILENET_EXPLORER_DATA", str(tmp_path))
    latency_store.clear()
    yield latency_store()
    latency_store.clear()


def store_warnings(at) -> list[str]:
    return [w.value for w in at.warning if "latency store" in w.value.lower()]


def test_a_store_problem_shows_in_the_session_that_met_it_only_and_goes_when_resolved(open_page, fresh_store, tmp_path):
    fresh_store.path.write_bytes(b"this is not a database " * 200)  # damaged while the server runs
    a = open_page("app_pages/v2.py")  # its stored-result lookup meets the damage: file set aside, fresh store
    assert len(store_warnings(a)) == 1 and "damaged" in store_warnings(a)[0]
    assert list(tmp_path.glob(FILE_NAME + ".corrupt-*"))
    b = open_page("app_pages/v1.py")  # another session, after: its operations met nothing
    assert store_warnings(b) == []
    assert fresh_store.warning is None  # the shared object holds no message (this thread met nothing)
    a.slider(key="mobilenet_v2.width").set_value(0.5).run()  # the store answers again: resolved
    assert store_warnings(a) == []


def test_a_lasting_problem_stays_until_the_store_answers(open_page, fresh_store, monkeypatch):
    from explorer.store import LatencyStore

    real = LatencyStore._connect
    broken = {"on": True}

    def connect(self):
        if broken["on"]:
            raise __import__("sqlite3").OperationalError("disk I/O error")
        return real(self)

    monkeypatch.setattr(LatencyStore, "_connect", connect)
    at = open_page("app_pages/v2.py")
    assert len(store_warnings(at)) == 1 and "not usable" in store_warnings(at)[0]
    at.slider(key="mobilenet_v2.width").set_value(0.5).run()
    assert len(store_warnings(at)) == 1  # still failing: still said
    broken["on"] = False
    at.slider(key="mobilenet_v2.width").set_value(1.0).run()
    assert store_warnings(at) == []  # answers again: gone
