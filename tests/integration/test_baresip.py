"""baresip (Debian baresip-core) as a real softphone: registers as extension 1001 with its
password, calls the service number 4000, sends a digit, and records what it hears; the
recording must hold speech, not silence."""
import glob
import json
import math
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import unittest
import wave

from kefu_harness import KefuTestCase, free_port


def netstring(payload):
    data = json.dumps(payload).encode()
    return str(len(data)).encode() + b":" + data + b","


def wav_rms(path):
    with wave.open(path, "rb") as w:
        frames = w.readframes(w.getnframes())
        width = w.getsampwidth()
    if width != 2 or not frames:
        return 0.0
    samples = struct.unpack("<%dh" % (len(frames) // 2), frames)
    return math.sqrt(sum(s * s for s in samples) / len(samples))


def write_voice(path, seconds=20, frequency=440):
    """A tone as what the phone 'says' (8 kHz mono 16-bit)."""
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * frequency * i / 8000)))
                               for i in range(8000 * seconds)))


class BaresipTest(KefuTestCase):
    def test_register_call_digit_and_hear_speech(self):
        work = tempfile.mkdtemp(prefix="kefu-baresip-")
        ctrl_port = free_port(socket.SOCK_STREAM)
        sip_port = free_port(both=True)
        rtp = free_port()
        write_voice(os.path.join(work, "voice.wav"))
        os.makedirs(os.path.join(work, "out"))
        with open(os.path.join(work, "config"), "w") as f:
            f.write(f"""sip_listen 127.0.0.1:{sip_port}
audio_source aufile,{work}/voice.wav
audio_player aufile,{work}/out/heard.wav
module_path /usr/lib/baresip/modules
module g711.so
module aufile.so
module sndfile.so
snd_path {work}/out
module_app account.so
module_app menu.so
module_app ctrl_tcp.so
ctrl_tcp_listen 127.0.0.1:{ctrl_port}
rtp_ports {rtp}-{rtp + 20}
""")
        with open(os.path.join(work, "accounts"), "w") as f:
            f.write(f"<sip:1001@127.0.0.1:{self.kefu.sip_port}>;auth_pass=demo1001;"
                    f"answermode=auto;regint=60\n")
        phone = subprocess.Popen(["baresip", "-f", work, "-t", "60"], stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, cwd=work)
        try:
            self.assertTrue(self.kefu.wait_log("binding added user=1001", timeout=20),
                            "baresip must register with its password")
            ctrl = None
            deadline = time.time() + 10
            while ctrl is None and time.time() < deadline:
                try:
                    ctrl = socket.create_connection(("127.0.0.1", ctrl_port), timeout=2)
                except OSError:
                    time.sleep(0.1)
            self.assertIsNotNone(ctrl, "baresip control port")
            ctrl.sendall(netstring({"command": "dial", "params": f"sip:4000@127.0.0.1:{self.kefu.sip_port}",
                                    "token": "dial"}))
            self.assertTrue(self.kefu.wait_log("dialed=4000 codec=", timeout=15))
            self.assertTrue(self.kefu.wait_log("answered caller=1001", timeout=15))
            time.sleep(4)  # let the greeting play into the recording (bounded, not a wait for state)
            ctrl.sendall(netstring({"command": "sndcode", "params": "3", "token": "dtmf"}))
            self.assertTrue(self.kefu.wait_log("digit=3", timeout=10), "digit from baresip")
            time.sleep(2)
            ctrl.sendall(netstring({"command": "hangup", "params": "", "token": "bye"}))
            self.assertTrue(self.kefu.wait_log("ended reason=remote_hangup", timeout=10))
            ctrl.close()
            phone.terminate()  # baresip ends cleanly on SIGTERM and closes its recordings
            phone.wait(timeout=15)
        finally:
            if phone.poll() is None:
                phone.kill()
                phone.wait()
        output = phone.stdout.read().decode(errors="replace")
        heard = [p for p in glob.glob(os.path.join(work, "out", "*.wav"))
                 if p.endswith("heard.wav") or "-dec" in p]
        self.assertTrue(heard, "baresip must have recorded what it heard:\n" + output[-3000:])
        rms = max(wav_rms(p) for p in heard)
        self.assertGreater(rms, 300, f"the recording is silence (rms={rms:.0f}): {heard}")
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
