"""The bus delivers by type, survives a broken subscriber, and is safe across threads."""

from __future__ import annotations

import threading

from scaletui.events import ErrorEvent, Event, EventBus, Notice, Progress


def test_delivery_by_type_and_unsubscribe() -> None:
    bus = EventBus()
    seen: list[Event] = []
    errors: list[Event] = []
    off = bus.subscribe(seen.append)
    bus.subscribe(errors.append, ErrorEvent)
    bus.publish(Notice(message="hi"))
    bus.publish(ErrorEvent(message="bad"))
    off()
    bus.publish(Progress(step="x"))
    assert [type(e) for e in seen] == [Notice, ErrorEvent]
    assert [e.message for e in errors] == ["bad"]  # type: ignore[attr-defined]


def test_broken_handler_does_not_stop_others() -> None:
    bus = EventBus()
    got: list[Event] = []

    def broken(event: Event) -> None:
        raise RuntimeError("boom")

    bus.subscribe(broken)
    bus.subscribe(got.append)
    bus.publish(Notice(message="x"))
    assert len(got) == 1


def test_publish_from_many_threads() -> None:
    bus = EventBus()
    got: list[Event] = []
    lock = threading.Lock()

    def keep(event: Event) -> None:
        with lock:
            got.append(event)

    bus.subscribe(keep)
    threads = [
        threading.Thread(target=lambda: [bus.publish(Notice(message="m")) for _ in range(200)]) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert len(got) == 800
