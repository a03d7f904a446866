"""The GIL is released while igcam computes: another Python thread runs meanwhile."""
import threading
import time

import igcam
from conftest import DEMO_IMAGES, DEMO_WEIGHTS


def test_another_thread_runs_during_explain():
    model = igcam.load(DEMO_WEIGHTS, device="cpu")
    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.002)

    thread = threading.Thread(target=ticker)
    thread.start()
    time.sleep(0.05)
    start = time.perf_counter()
    model.explain(DEMO_IMAGES, methods="igcam,scorecam", steps=200, batch=4)
    end = time.perf_counter()
    stop.set()
    thread.join()
    during = [t for t in ticks if start < t < end]
    seconds = end - start
    # Pure Python between ticks; with the GIL held for the whole call there would be at most
    # the tick that started before it. The ticker sleeps 2 ms, so a free thread ticks
    # hundreds of times a second; at least 20 per second of computing is asked for.
    print(f"\n{len(during)} ticks in {seconds:.2f} s of explain")
    assert seconds > 0.3, "the call is too short to show anything"
    assert len(during) >= 20 * seconds, f"only {len(during)} ticks in {seconds:.2f} s: the GIL was held"
    # A second thread calling igcam waits for the first (one computation at a time) and succeeds.
    results = {}
    workers = [threading.Thread(target=lambda k=k: results.__setitem__(k, model.explain(DEMO_IMAGES[k], methods="gradcam")))
               for k in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sorted(results) == [0, 1]


def test_progress_callback():
    model = igcam.load(DEMO_WEIGHTS, device="cpu")
    seen = []
    result = model.explain(DEMO_IMAGES, methods="gradcam", batch=1, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(i + 1, len(DEMO_IMAGES)) for i in range(len(DEMO_IMAGES))] and len(result) == len(DEMO_IMAGES)

    class Stop(Exception):
        pass

    def stop_after_two(done, total):
        if done == 2:
            raise Stop("enough")

    try:
        model.explain(DEMO_IMAGES, methods="gradcam", batch=1, progress=stop_after_two)
    except Stop as e:
        assert str(e) == "enough"
    else:
        raise AssertionError("the callback's exception did not stop the run")
    # The model is still usable afterwards.
    assert len(model.explain(DEMO_IMAGES[0], methods="gradcam")) == 1
