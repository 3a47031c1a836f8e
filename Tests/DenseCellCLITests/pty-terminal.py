#!/usr/bin/env python3
"""A scripted terminal for the viewer's graphics tests.

Runs a command on a pseudo-terminal of a given size, answers the probes a terminal with the
chosen image protocol would answer (kitty graphics query, CSI 16 t, DA1), follows a script of
steps, and saves everything the command wrote. Prints one JSON line with what it saw.

Steps: `image` waits until one more complete image sequence has arrived than at the last
mark, `text:STRING` waits until STRING appears in the output written since the last mark,
`key:X` types X and sets the mark, `resize:COLSxROWS` changes the window size (SIGWINCH) and
sets the mark, `sleep:SECONDS` waits.
"""
import argparse, fcntl, json, os, re, select, signal, struct, subprocess, sys, termios, time

parser = argparse.ArgumentParser()
parser.add_argument("--cols", type=int, default=120)
parser.add_argument("--rows", type=int, default=40)
parser.add_argument("--cell", default="10x20", help="cell size in pixels, WxH")
parser.add_argument("--winsize-pixels", action="store_true", help="report the pixel size in TIOCGWINSZ too")
parser.add_argument("--answer", choices=["sixel", "kitty", "none"], required=True)
parser.add_argument("--out", required=True)
parser.add_argument("--timeout", type=float, default=30)
parser.add_argument("--step", action="append", default=[])
parser.add_argument("command", nargs=argparse.REMAINDER)
args = parser.parse_args()
cw, ch = (int(v) for v in args.cell.split("x"))
command = args.command[1:] if args.command and args.command[0] == "--" else args.command

master, slave = os.openpty()
xpix, ypix = (args.cols * cw, args.rows * ch) if args.winsize_pixels else (0, 0)
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", args.rows, args.cols, xpix, ypix))
env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "DENSECELL_GRAPHICS", "COLORTERM")}
env["TERM"] = "xterm-256color"
start = time.monotonic()
proc = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True, close_fds=True)
os.close(slave)

out = bytearray()
answered = {"kitty": 0, "cell": 0, "da1": 0}
events = {}
mark = 0

def images_in(data):
    # Complete image sequences: sixel DCS (ESC P, parameters, q) ... ST, or the final kitty chunk (m=0).
    return len(re.findall(rb"\x1bP[0-9;]*q", data)) + data.count(b"\x1b_Gm=0")

def pump(wait):
    # Everything that is there (a pty hands out a few kilobytes per read), then the replies.
    chunk = b""
    while True:
        ready, _, _ = select.select([master], [], [], 0 if chunk else wait)
        if not ready:
            break
        try:
            piece = os.read(master, 65536)
        except OSError:
            break
        if not piece:
            break
        chunk += piece
        if len(chunk) > (1 << 20):
            break
    if not chunk:
        return
    # Look for queries only in what is new (with room for one cut in half): captures run to megabytes.
    seen = max(0, len(out) - 16)
    out.extend(chunk)
    now = time.monotonic() - start
    fresh = bytes(out[seen:])
    if args.answer == "kitty" and b"\x1b_Gi=31," in fresh and out.count(b"\x1b_Gi=31,") > answered["kitty"]:
        answered["kitty"] += 1
        os.write(master, b"\x1b_Gi=31;OK\x1b\\")
    if args.answer != "none" and b"\x1b[16t" in fresh and out.count(b"\x1b[16t") > answered["cell"]:
        answered["cell"] += 1
        os.write(master, b"\x1b[6;%d;%dt" % (ch, cw))
    if b"\x1b[c" in fresh and out.count(b"\x1b[c") > answered["da1"]:
        answered["da1"] += 1
        events.setdefault("da1_query", now)
        if args.answer == "sixel":
            os.write(master, b"\x1b[?62;4;22c")
        elif args.answer == "kitty":
            os.write(master, b"\x1b[?62;22c")
    if "screen_open" not in events and b"\x1b[?1049h" in fresh:
        events["screen_open"] = now

def wait_until(condition, what):
    deadline = time.monotonic() + args.timeout
    while not condition():
        if time.monotonic() > deadline or proc.poll() is not None:
            pump(0.1)
            if condition():
                return
            print(json.dumps({"error": "timed out waiting for " + what, "bytes": len(out)}))
            raise SystemExit(1)
        pump(0.05)

try:
    for step in args.step:
        kind, _, value = step.partition(":")
        if kind == "image":
            base = images_in(out[:mark])
            wait_until(lambda: images_in(out) > base and out.rfind(b"\x1b8") > out.rfind(b"\x1b7"), "an image")
            mark = len(out)
        elif kind == "text":
            wait_until(lambda: value.encode() in out[mark:], repr(value))
        elif kind == "key":
            mark = len(out)
            os.write(master, value.encode())
        elif kind == "resize":
            mark = len(out)
            cols, rows = (int(v) for v in value.split("x"))
            pixels = (cols * cw, rows * ch) if args.winsize_pixels else (0, 0)
            fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, *pixels))
            os.killpg(proc.pid, signal.SIGWINCH)
        elif kind == "sleep":
            end = time.monotonic() + float(value)
            while time.monotonic() < end:
                pump(0.05)
    deadline = time.monotonic() + args.timeout
    while proc.poll() is None and time.monotonic() < deadline:
        pump(0.05)
    while True:
        ready, _, _ = select.select([master], [], [], 0.1)
        if not ready:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out.extend(chunk)
finally:
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    with open(args.out, "wb") as f:
        f.write(out)
print(json.dumps({"status": proc.returncode, "bytes": len(out), "events": events, "answered": answered}))
