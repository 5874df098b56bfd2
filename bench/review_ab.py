"""The review loop of two commits, in process, measured in alternating bursts.

This machine's speed drifts by up to a factor of two over minutes (a shared virtual CPU), so two
runs made one after the other do not compare. Here each commit runs in a process of its own (a
git worktree, its own benchmark database, the Django test client, production settings), and
the two take turns: a burst of answer + grade rounds and floor requests in one, then in the
other, many times over. Each burst's medians are divided by the same burst's floor, and the
figures printed are the medians of those ratios, beside the plain milliseconds.

    python bench/review_ab.py BASE [HEAD] [--bursts 12] [--rounds 25] [--due 400]

BASE and HEAD are commits (HEAD: the working tree as it is, uncommitted changes included).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT

SEED = ROOT / "bench" / "review_load.py"

WORKER = """
import importlib.util, json, statistics, sys, time
sys.path.insert(0, "bench")
from common import setup_django, ANSWER_URL, GRADE_URL, VERSION, found
setup_django(sys.argv[1], FSRS_ENABLE_FUZZING="true", BENCHMARK_FLOOR_VIEW="true")
# The same learners for both trees: this checkout's seed, whatever the tree's bench says.
spec = importlib.util.spec_from_file_location("review_load", sys.argv[4])
review_load = importlib.util.module_from_spec(spec)
spec.loader.exec_module(review_load)
from django.test import Client

def learner():
    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION="tma " + init.pop(),
                    HTTP_HX_REQUEST="true")
    return client, client.get("/review/", HTTP_HX_TARGET="app").content.decode()

def timed(request):
    started = time.perf_counter()
    response = request()
    assert response.status_code == 200, response.status_code
    return (time.perf_counter() - started) * 1000, response.content.decode()

init = review_load.seed(int(sys.argv[2]), int(sys.argv[3]))
client, front = learner()
for line in sys.stdin:
    answers, grades, floors = [], [], []
    for _ in range(int(line)):
        if found(ANSWER_URL, front) is None:  # the summary: the next learner
            client, front = learner()
        ms, answer = timed(lambda: client.get(found(ANSWER_URL, front),
                                              HTTP_HX_TARGET="review-card"))
        answers.append(ms)
        form = {"rating": "3", "version": found(VERSION, answer), "duration_ms": "4000"}
        ms, front = timed(lambda: client.post(found(GRADE_URL, answer), form,
                                              HTTP_HX_TARGET="app"))
        grades.append(ms)
        floors.append(timed(lambda: client.get("/bench/floor/"))[0])
    print(json.dumps([statistics.median(x) for x in (answers, grades, floors)]), flush=True)
"""


def worktree(commit: str, into: Path) -> Path:
    if commit == "HEAD":
        return ROOT
    subprocess.run(
        ["git", "worktree", "add", "--detach", "--force", str(into), commit],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return into


def start(tree: Path, database: str, learners: int, due: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, database, str(learners), str(due), str(SEED)],
        cwd=tree,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("base")
    parser.add_argument("head", nargs="?", default="HEAD")
    parser.add_argument("--bursts", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=25, help="answer + grade rounds a burst")
    parser.add_argument("--due", type=int, default=400, help="due cards of each learner")
    args = parser.parse_args()
    # A learner's deck lets 200 reviews through a day: enough learners for every round.
    learners = args.bursts * args.rounds // 150 + 2
    with tempfile.TemporaryDirectory(prefix="pw-ab-") as tmp:
        trees = {
            name: worktree(commit, Path(tmp, name))
            for name, commit in (("base", args.base), ("head", args.head))
        }
        database = "postgres://postgres@127.0.0.1:5432/pw_ab_"
        workers = {
            name: start(tree, database + name, learners, args.due) for name, tree in trees.items()
        }
        figures: dict[str, list[list[float]]] = {name: [] for name in workers}
        try:
            for burst in range(args.bursts):
                # Alternate which goes first, so that neither always follows the other.
                order = list(workers) if burst % 2 == 0 else list(workers)[::-1]
                for name in order:
                    workers[name].stdin.write(f"{args.rounds}\n")
                    workers[name].stdin.flush()
                    figures[name].append(json.loads(workers[name].stdout.readline()))
                time.sleep(0.1)
        finally:
            for worker in workers.values():
                worker.stdin.close()
                worker.wait(timeout=60)
            for tree in trees.values():
                if tree != ROOT:
                    subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT)
    print(f"{args.bursts} alternating bursts of {args.rounds} answer + grade rounds and floors")
    print("tree  answer ms  grade ms  floor ms   answer/floor  grade/floor  pair/2 floors")
    for name, bursts in figures.items():
        answer, grade, floor = (statistics.median(b[i] for b in bursts) for i in range(3))
        ratios = [(a / f, g / f, (a + g) / (2 * f)) for a, g, f in bursts]
        r = [statistics.median(x[i] for x in ratios) for i in range(3)]
        print(
            f"{name:<5} {answer:>9.2f} {grade:>9.2f} {floor:>9.2f}"
            f"   {r[0]:>12.2f} {r[1]:>12.2f} {r[2]:>14.2f}"
        )


if __name__ == "__main__":
    main()
