"""Virtual learners for bench/review_load.py (run by it through `locust --headless`).

Each virtual learner is a seeded learner with its own signed initData, and sends what the Mini
App sends, one request per task: open the review (the first card's front), show the answer (the
back and the grade form with the card's version), grade (the next card's front), and so on. A
learner who reaches the session's summary has finished: the virtual learner goes on as the next
seeded learner (so no learner needs more cards than a real one has due). In floor mode it asks
for GET /bench/floor/ instead. The run stops after BENCH_REQUESTS requests.

Environment: BENCH_MODE (review|floor), BENCH_REQUESTS, BENCH_INIT_DATA (a JSON file: a list of
signed initData strings, one per seeded learner), BENCH_GRADE_LOG (optional: a file that gets one
line per grade request, "<card id> <version> <status> <unix time>", for the fault drills'
bookkeeping), BENCH_RETRY_GRADES (optional, "true": a grade that fails is sent again with the
same version, as a learner taps again; the version makes a retry of a grade already saved
change nothing), BENCH_CONNECTION_CLOSE (optional, "true": a new connection for every request).
"""

import itertools
import json
import os
import random
import time
from pathlib import Path

import gevent
from common import ANSWER_URL, GRADE_URL, VERSION, found
from locust import FastHttpUser, constant, events, task

MODE = os.environ.get("BENCH_MODE", "review")
TOTAL = int(os.environ.get("BENCH_REQUESTS", "1000"))
GRADE_LOG = os.environ.get("BENCH_GRADE_LOG")
RETRY_GRADES = os.environ.get("BENCH_RETRY_GRADES") == "true"
# A connection per request: kept alive, a learner's connection stays with the gunicorn worker
# that accepted it, and eight of them all on one worker of two halve the throughput.
CLOSE = os.environ.get("BENCH_CONNECTION_CLOSE") == "true"
INIT_DATA = json.loads(Path(os.environ.get("BENCH_INIT_DATA", "init_data.json")).read_text())


learners = iter(INIT_DATA)
sent = itertools.count(1)
locust_environment = None


@events.init.add_listener
def remember_environment(environment, **_kwargs):
    global locust_environment
    locust_environment = environment


@events.request.add_listener
def stop_after_total(**_kwargs):
    if next(sent) == TOTAL:
        gevent.spawn(locust_environment.runner.quit)


class Learner(FastHttpUser):
    wait_time = constant(0)

    def on_start(self):
        self.next_learner()

    def next_learner(self) -> bool:
        init_data = next(learners, None)
        if init_data is None:
            return False
        self.headers = {"Authorization": f"tma {init_data}", "HX-Request": "true"}
        if CLOSE:
            self.headers["Connection"] = "close"
        self.answer_url = None  # the front on screen links to its answer
        self.grade = None  # the answer on screen: (grade URL, card version)
        return True

    @task
    def step(self):
        if MODE == "floor":
            self.floor()
        elif self.grade is not None:
            self.send_grade()
        elif self.answer_url is not None:
            self.show_answer()
        else:
            self.open_review()

    def floor(self):
        with self.client.get(
            "/bench/floor/", headers=self.headers, name="floor", catch_response=True
        ) as response:
            if response.text != "ok":
                response.failure(f"unexpected floor answer {response.status_code}")

    def open_review(self):
        headers = {**self.headers, "HX-Target": "app"}
        with self.client.get(
            "/review/", headers=headers, name="open review", catch_response=True
        ) as response:
            self.answer_url = self.front(response)

    def show_answer(self):
        headers = {**self.headers, "HX-Target": "review-card"}
        with self.client.get(
            self.answer_url, headers=headers, name="show answer", catch_response=True
        ) as response:
            text = response.text or ""
            grade_url, version = found(GRADE_URL, text), found(VERSION, text)
            self.answer_url = None
            if response.status_code != 200 or grade_url is None or version is None:
                response.failure(f"no grade form ({response.status_code})")
                return
            self.grade = (grade_url, version)

    def send_grade(self):
        grade_url, version = self.grade
        self.grade = None
        # Mostly "Good", as learners answer; the card leaves today's queue either way.
        form = {
            "rating": random.choice("2333334"),
            "version": version,
            "duration_ms": str(random.randint(1500, 9000)),
        }
        headers = {**self.headers, "HX-Target": "app"}
        with self.client.post(
            grade_url, data=form, headers=headers, name="grade", catch_response=True
        ) as response:
            self.answer_url = self.front(response)
            if RETRY_GRADES and not 200 <= response.status_code < 300:
                self.grade = (grade_url, version)
            if GRADE_LOG:
                card_id = grade_url.split("/")[3]
                with open(GRADE_LOG, "a") as log:
                    log.write(f"{card_id} {version} {response.status_code} {time.time():.3f}\n")

    def front(self, response):
        """The answer URL of the card on screen, or None after the summary or a failure."""
        text = response.text or ""
        answer_url = found(ANSWER_URL, text)
        if response.status_code == 200 and answer_url is None and 'id="review-done"' in text:
            if not self.next_learner():
                response.failure("every seeded learner has finished: seed more")
        elif response.status_code != 200 or answer_url is None:
            response.failure(f"no card on the screen ({response.status_code})")
        return answer_url
