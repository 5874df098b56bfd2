"""Real concurrency for tests: actions in threads of their own, released together."""

import threading

from django.db import connection


def race(*actions, wait: float = 300) -> list:
    """Run each action in its own thread (its own database connection), all released at once
    by a barrier; their results (or the repr of what they raised), in no order. A thread still
    running after `wait` seconds leaves its result out."""
    barrier = threading.Barrier(len(actions))
    results = []

    def run(action):
        try:
            barrier.wait(timeout=30)
            results.append(action())
        except Exception as error:  # noqa: BLE001 - the tests assert on what each thread saw
            results.append(repr(error))
        finally:
            connection.close()

    workers = [threading.Thread(target=run, args=(action,)) for action in actions]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=wait)
    return results
