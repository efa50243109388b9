"""Call records in the store (SQLite, or PostgreSQL with KEFU_TEST_DB=postgresql): a finished
call's row is complete, and after kill -9 the call that was in progress is closed as
'interrupted' at the next start while the finished one stays intact."""
import signal
import sqlite3
import time
import unittest

from kefu_harness import (Kefu, RtpPeer, SipSocket, database_for_test, header_of, place_call,
                          sip_request, status_of)


def record(kefu, call_id):
    rows = kefu.named_rows("SELECT * FROM call_records WHERE call_id = ?", call_id)
    return rows[0] if rows else None


def wait_record(kefu, call_id, predicate, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            row = record(kefu, call_id)
        except (sqlite3.OperationalError, RuntimeError):
            row = None  # the file or table does not exist yet
        if row is not None and predicate(row):
            return row
        time.sleep(0.05)
    return None


def hang_up(kefu, sock, invite, ok):
    uri = f"sip:4000@127.0.0.1:{kefu.sip_port}"
    sock.send(sip_request("BYE", uri, sock.port, call_id=header_of(invite, "Call-ID"),
                          from_tag=header_of(invite, "From").split("tag=")[1],
                          to_tag=header_of(ok, "To").split("tag=")[1], cseq=2))
    deadline = time.time() + 5
    while time.time() < deadline:
        m = sock.recv_message(timeout=1)
        if m and header_of(m, "CSeq") == "2 BYE":
            return status_of(m)
    return None


class CallRecordTest(unittest.TestCase):
    def test_finished_record_and_interrupted_after_kill(self):
        kefu = Kefu(db=database_for_test()).start()
        sock, peer = SipSocket(kefu), RtpPeer()
        try:
            invite, ok = place_call(kefu, sock, peer)
            self.assertIsNotNone(ok)
            finished_id = header_of(invite, "Call-ID")
            peer.receive(1.5)
            started = time.time()
            self.assertEqual(hang_up(kefu, sock, invite, ok), 200)
            row = wait_record(kefu, finished_id, lambda r: r["ended_at"] is not None)
            self.assertIsNotNone(row, "the finished call must be stored")
            finished_row = dict(row)
            self.assertEqual(row["disposition"], "answered")
            self.assertEqual(row["dialed_number"], "4000")
            self.assertEqual(row["caller_number"], "tester")
            self.assertGreaterEqual(row["talk_ms"], 1300)
            self.assertLess(row["talk_ms"], 1500 + (time.time() - started) * 1000 + 500)

            # A second call, in progress when the process is killed.
            invite2, ok2 = place_call(kefu, sock, peer)
            self.assertIsNotNone(ok2)
            open_id = header_of(invite2, "Call-ID")
            self.assertIsNotNone(wait_record(kefu, open_id, lambda r: r["ended_at"] is None),
                                 "the arrival row is written while the call is up")
            kefu.proc.send_signal(signal.SIGKILL)
            kefu.proc.wait(10)
            kefu.log.close()

            again = kefu.restarted()
            again.start()
            try:
                row = record(kefu, open_id)
                self.assertEqual(row["disposition"], "interrupted")
                self.assertIsNotNone(row["ended_at"])
                self.assertEqual(record(kefu, finished_id), finished_row,
                                 "the finished record is intact")
            finally:
                self.assertEqual(again.stop(), 0)
        finally:
            sock.close()
            peer.close()
            if kefu.alive():
                kefu.proc.kill()
            kefu.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
