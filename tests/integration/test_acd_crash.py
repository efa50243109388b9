"""kill -9 during recorded agent calls, then a restart (SQLite, or PostgreSQL with
KEFU_TEST_DB=postgresql): the finished call's record and recording
are intact, the calls in flight are closed as 'interrupted', their recordings are recovered from
what reached the disk (playable WAV, no `.part` left), and the numbers agree with each other."""
import glob
import os
import signal
import subprocess
import tempfile
import time
import unittest
import wave

from kefu_harness import Kefu, database_for_test
from acd_peers import AgentPhone, Caller

CONFIG = """
[[queue]]
name = "crash"
recording = "all"
wrap_up_s = 0
announce_interval_s = 0
last_agent_days = 0
offer_overflow_on_long_wait = false

[[route]]
number = "4400"
queue = "crash"
""" + "".join(f"""
[[agent]]
id = "{a}"
password = "demo{a}"
presence_follows_phone = true
queues = {{ crash = 0 }}
""" for a in ("3001", "3002", "3003"))


def wait_for(predicate, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    return None


class AcdCrashTest(unittest.TestCase):
    def test_kill_during_recorded_calls_then_restart(self):
        work = tempfile.mkdtemp(prefix="kefu-crash-")
        config = os.path.join(work, "acd.toml")
        with open(config, "w") as f:
            f.write(CONFIG)
        tone = os.path.join(work, "tone.wav")
        subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-e", "u-law", tone, "synth", "60",
                        "sine", "440", "vol", "0.5"], check=True)
        args = ("--config", config, "--rtp-timeout", "0")
        kefu = Kefu(args, db=database_for_test()).start()
        peers = []
        try:
            # One call that finishes before the crash.
            done_agent = AgentPhone(kefu, "3001", ring_ms=100, rtp_stream=tone)
            caller = Caller(kefu, "4400", 2000, caller="13900000201", rtp_stream=tone)
            self.assertEqual(caller.wait()[0], 0)
            self.assertEqual(done_agent.wait()[0], 0)
            self.assertEqual(done_agent.unregister(), 200)  # its phone is gone
            finished = wait_for(lambda: kefu.named_rows(
                                             "SELECT * FROM call_records WHERE caller_number = ?"
                                             " AND ended_at IS NOT NULL", "13900000201"))
            self.assertTrue(finished)
            finished = dict(finished[0])
            wait_for(lambda: kefu.named_rows("SELECT 1 FROM recordings WHERE call_id = ? AND"
                                  " state = 'complete'", finished["call_id"]))

            # Two calls in progress, recorded, when the process is killed.
            for agent, number in (("3002", "13900000202"), ("3003", "13900000203")):
                peers.append(AgentPhone(kefu, agent, ring_ms=100, rtp_stream=tone, timeout=90))
                peers.append(Caller(kefu, "4400", 60000, caller=number, rtp_stream=tone, timeout=90))
            self.assertTrue(wait_for(lambda: len(kefu.named_rows("SELECT 1 FROM recordings WHERE"
                                                      " state = 'writing'")) == 2),
                            "both calls must be connected and recording")
            time.sleep(2.5)  # some audio reaches the files
            kefu.proc.send_signal(signal.SIGKILL)
            kefu.proc.wait(10)
            kefu.log.close()
            for p in peers:
                p.kill()
            parts = glob.glob(os.path.join(kefu.data_dir, "recordings", "**", "*.part"), recursive=True)
            self.assertEqual(len(parts), 2, "the killed process leaves its recordings as .part")

            again = kefu.restarted()
            again.start()
            try:
                self.assertTrue(again.wait_log("recording recovered", timeout=5), again.read_log()[-3000:])
                # The finished call is exactly as it was.
                after = dict(kefu.named_rows("SELECT * FROM call_records WHERE call_id = ?",
                                  finished["call_id"])[0])
                self.assertEqual(after, finished)
                self.assertEqual(after["disposition"], "answered")
                # The calls in flight are closed as interrupted, with their agent and times.
                open_calls = kefu.named_rows("SELECT * FROM call_records WHERE caller_number IN"
                                  " ('13900000202', '13900000203')")
                self.assertEqual(len(open_calls), 2)
                for call in open_calls:
                    self.assertEqual(call["disposition"], "interrupted")
                    self.assertIsNotNone(call["ended_at"])
                    self.assertIsNotNone(call["answered_at"])
                    self.assertIsNotNone(call["agent_id"])
                    self.assertGreaterEqual(call["ended_at"], call["answered_at"])
                # Every recording is complete, playable, and no .part is left.
                recordings = kefu.named_rows("SELECT * FROM recordings ORDER BY id")
                self.assertEqual(len(recordings), 3)
                self.assertEqual([r["state"] for r in recordings], ["complete"] * 3)
                self.assertEqual(glob.glob(os.path.join(kefu.data_dir, "recordings", "**", "*.part"),
                                           recursive=True), [])
                for r in recordings:
                    with wave.open(r["file_path"], "rb") as w:
                        frames = w.getnframes()
                        self.assertEqual((w.getnchannels(), w.getframerate()), (2, 8000))
                        self.assertGreater(frames, 8000, r["file_path"])  # over a second of audio
                        self.assertEqual(len(w.readframes(frames)), frames * 4)
                    self.assertAlmostEqual(r["duration_ms"], frames / 8, delta=25)
            finally:
                self.assertEqual(again.stop(), 0)
        finally:
            for p in peers:
                p.kill()
            if kefu.alive():
                kefu.proc.kill()
            kefu.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
