#!/usr/bin/env python3
"""The ctest fixture's PostgreSQL cluster: one server for every unit test of a run instead of
one per test process (initdb and a start cost about five seconds under a loaded machine, and
ctest runs each test in its own process).

    postgres_fixture.py start DIR   initdb and start in DIR (removed first if a run left it);
                                    writes the server's URL to DIR/url
    postgres_fixture.py stop DIR    stops the server and removes DIR

The unit tests find the URL through KEFU_TEST_PG_URL_FILE (tests/unit/store/postgres_cluster.hpp)
and each works in its own schema, so parallel tests share the server safely."""
import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "integration"))
from kefu_harness import PostgresCluster  # noqa: E402


def cluster_in(directory):
    cluster = PostgresCluster()
    cluster.dir = directory
    cluster.running = os.path.exists(os.path.join(directory, "data", "postmaster.pid"))
    return cluster


def main(argv):
    if len(argv) != 3 or argv[1] not in ("start", "stop"):
        print(__doc__, file=sys.stderr)
        return 2
    directory = os.path.abspath(argv[2])
    if argv[1] == "stop":
        cluster_in(directory).stop()
        return 0
    if os.path.exists(directory):  # an interrupted run's
        cluster_in(directory).stop()
        shutil.rmtree(directory, ignore_errors=True)
    cluster = PostgresCluster()
    try:
        cluster.start(directory)
    except BaseException:
        cluster.stop()
        raise
    url = f"postgresql://kefu@127.0.0.1:{cluster.port}/postgres"
    with open(os.path.join(directory, "url.tmp"), "w") as f:
        f.write(url + "\n")
    os.replace(os.path.join(directory, "url.tmp"), os.path.join(directory, "url"))
    print(f"PostgreSQL for the tests: {url} ({directory})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
