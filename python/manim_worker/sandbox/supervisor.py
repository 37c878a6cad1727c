"""Starts one sandboxed worker under bubblewrap and watches it until it ends. Run by the Node renderer as
`python -I -S -B supervisor.py SPEC_JSON` with an empty environment; the worker's stdin, stdout, stderr and
protocol fd 3 are inherited straight through to the sandbox.

The supervisor runs outside the sandbox as the service's user (root in the container). It:

1. prepares the user namespace (as root: one owned by the sandbox uid, see user_namespace.py; otherwise
   bubblewrap makes its own with --unshare-user --disable-userns) and the seccomp filter (seccomp_filter.py);
2. optionally puts the sandbox in its own pids cgroup (pids_cgroup.py);
3. starts bubblewrap as the sandbox uid with an empty environment, so nothing of the service's environment
   exists anywhere in the sandbox, not even in bubblewrap's own PID 1;
4. watches the render directory's disk use and stops the sandbox over its quota;
5. when bubblewrap ends, or the service asks it to stop (SIGTERM), kills whatever is left, reaps it, removes the
   cgroup, and exits as the worker did (a worker killed by a signal makes the supervisor die of the same one).

With `"probe": true` it first prints one JSON line describing the host side, for the startup probe.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import select
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from manim_worker.sandbox import seccomp_filter  # noqa: E402
from manim_worker.sandbox.disk_usage import disk_usage  # noqa: E402
from manim_worker.sandbox.pids_cgroup import PidsCgroup, remove_stale  # noqa: E402
from manim_worker.sandbox.user_namespace import create_user_namespace  # noqa: E402

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
SANDBOX_NICE = 10
DISK_CHECK_MIN_SECONDS = 0.2

_libc = ctypes.CDLL(None, use_errno=True)


def _say(message: str) -> None:
    """A line in the render's log (stderr is the worker's stderr), marked as the sandbox's."""
    try:
        os.write(2, f"\n[sandbox] {message}\n".encode())
    except OSError:
        pass


def _memfd_with(data: bytes) -> int:
    fd = os.memfd_create("sandbox", 0)
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _exec_bwrap(spec: dict, argv: list[str], cgroup: PidsCgroup | None, as_root: bool, keep_fds: list[int]) -> None:
    """In the forked child: join the cgroup, become the sandbox uid, and exec bubblewrap. (The worker's rlimits
    are set inside the sandbox, by prlimit in front of it: see src/renderer/sandbox/bwrap-args.ts.)"""
    try:
        for sig in (*STOP_SIGNALS, signal.SIGCHLD, signal.SIGPIPE, signal.SIGXFSZ):
            signal.signal(sig, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        signal.set_wakeup_fd(-1)
        if cgroup is not None:
            cgroup.join(0)
        if as_root:
            uid, gid = spec["uid"], spec["gid"]
            os.setgroups([])
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)
        # Below the service: a scene that spins every CPU (threads, a fork bomb) slows itself, not the renderer.
        os.setpriority(os.PRIO_PROCESS, 0, max(os.getpriority(os.PRIO_PROCESS, 0), SANDBOX_NICE))
        # Set after the uid change, which clears it: bubblewrap dies if the supervisor does.
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        for fd in keep_fds:
            os.set_inheritable(fd, True)
        os.execve(spec["bwrap"], argv, {})
    except BaseException as exc:  # noqa: BLE001 - whatever failed, the child must not return into the supervisor
        _say(f"could not start the sandbox: {type(exc).__name__}: {exc}")
    os._exit(125)


class Supervisor:
    def __init__(self, spec: dict) -> None:
        self.spec = spec
        self.as_root = os.geteuid() == 0
        self.cgroup: PidsCgroup | None = None
        self.child = 0
        self.stop_signal = 0
        self.disk_exceeded = ""

    def prepare(self) -> tuple[list[str], list[int], dict]:
        spec = self.spec
        report: dict = {"asRoot": self.as_root}
        argv = [spec["bwrap"]]
        keep: list[int] = []
        if self.as_root:
            fd = create_user_namespace(spec["uid"], spec["gid"])
            keep.append(fd)
            argv += ["--userns", str(fd), "--assert-userns-disabled"]
            os.chown(spec["workDir"], spec["uid"], spec["gid"])
            os.chmod(spec["workDir"], 0o700)
            report["uid"] = spec["uid"]
        else:
            argv += ["--unshare-user", "--disable-userns", "--assert-userns-disabled"]
            report["uid"] = os.getuid()
        if spec.get("seccomp"):
            fd = _memfd_with(seccomp_filter.build_filter())
            keep.append(fd)
            argv += ["--seccomp", str(fd)]
        report["seccomp"] = bool(spec.get("seccomp"))
        wanted = spec.get("pidsCgroup")
        if wanted:
            try:
                self.cgroup = PidsCgroup.create(f"{os.getpid()}-{time.monotonic_ns()}", wanted["maxTasks"])
                report["pidsCgroup"] = True
            except OSError as exc:
                report["pidsCgroup"] = False
                report["pidsCgroupError"] = str(exc)
                if wanted.get("required"):
                    raise
        # The options through a file descriptor: the sandbox's PID 1 is bubblewrap, and its command line, readable
        # inside at /proc/1/cmdline, then shows nothing of the host's paths or the worker's settings. The command
        # itself must follow on the real command line (bubblewrap stops parsing --args data at its "--").
        args = spec["args"]
        split = args.index("--")
        args_fd = _memfd_with(b"".join(arg.encode() + b"\0" for arg in args[:split]))
        keep.append(args_fd)
        argv += ["--args", str(args_fd), *args[split:]]
        return argv, keep, report

    def run(self) -> None:
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if self.spec.get("probe"):
            remove_stale()
        try:
            argv, keep, report = self.prepare()
        except Exception as exc:  # noqa: BLE001
            if self.spec.get("probe"):
                print(json.dumps({"host": {"error": f"{type(exc).__name__}: {exc}"}}), flush=True)
            _say(f"could not prepare the sandbox: {type(exc).__name__}: {exc}")
            self._cleanup()
            sys.exit(125)
        if self.spec.get("probe"):
            print(json.dumps({"host": report}), flush=True)

        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_w, False)
        signal.set_wakeup_fd(wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        for sig in STOP_SIGNALS:
            signal.signal(sig, self._on_stop)

        self.child = os.fork()
        if self.child == 0:
            _exec_bwrap(self.spec, argv, self.cgroup, self.as_root, keep)
        for fd in keep:
            os.close(fd)
        # The sandbox holds the job's stdin, its stdout and the protocol channel; only stderr stays here, for
        # the supervisor's own notes. Closing them lets the parent see end-of-file as soon as the sandbox ends.
        for fd in (0, 1, 3):
            try:
                os.close(fd)
            except OSError:
                pass

        status = self._watch(wake_r)
        self._cleanup()
        self._exit_like(status)

    def _on_stop(self, signum: int, _frame) -> None:
        self.stop_signal = self.stop_signal or signum
        self._kill_sandbox()

    def _kill_sandbox(self) -> None:
        if self.child:
            try:
                os.kill(self.child, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.cgroup is not None:
            self.cgroup.kill_all()

    def _watch(self, wake_r: int) -> int:
        disk_bytes = self.spec.get("diskBytes")
        max_entries = self.spec.get("diskEntries", 100_000)
        interval = DISK_CHECK_MIN_SECONDS
        next_check = time.monotonic() + interval
        while True:
            pid, status = os.waitpid(self.child, os.WNOHANG)
            if pid == self.child:
                return status
            now = time.monotonic()
            if disk_bytes and not self.disk_exceeded and now >= next_check:
                used, entries = disk_usage(self.spec["workDir"], max_entries)
                took = time.monotonic() - now
                if used > disk_bytes or entries > max_entries:
                    what = f"{entries} files" if entries > max_entries else f"{used} bytes"
                    limit = f"{max_entries} files" if entries > max_entries else f"{disk_bytes} bytes"
                    self.disk_exceeded = f"Disk quota exceeded: the render wrote {what} (the limit is {limit}); stopped"
                    _say(self.disk_exceeded)
                    self._kill_sandbox()
                # Measuring costs the host CPU: never spend more than a fifth of the time on it.
                interval = max(DISK_CHECK_MIN_SECONDS, took * 5)
                next_check = time.monotonic() + interval
            timeout = max(0.0, next_check - time.monotonic()) if disk_bytes and not self.disk_exceeded else None
            try:
                select.select([wake_r], [], [], timeout)
                os.read(wake_r, 4096)
            except BlockingIOError:
                pass
            except InterruptedError:
                pass

    def _cleanup(self) -> None:
        """Kills what is left of the sandbox and reaps it (the supervisor is a subreaper: an orphaned bubblewrap
        PID 1 comes back to it), then removes the cgroup."""
        if self.cgroup is not None:
            self.cgroup.kill_all()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                time.sleep(0.005)
        if self.cgroup is not None:
            self.cgroup.remove()

    def _exit_like(self, status: int) -> None:
        if self.stop_signal:
            self._die_of(self.stop_signal)
        if self.disk_exceeded:
            os._exit(1)
        if os.WIFSIGNALED(status):
            self._die_of(os.WTERMSIG(status))
        code = os.WEXITSTATUS(status)
        # bubblewrap reports a worker killed by signal N as exit status 128 + N.
        if 128 < code < 128 + signal.NSIG:
            self._die_of(code - 128)
        os._exit(code)

    @staticmethod
    def _die_of(signum: int) -> None:
        try:
            if signum not in (signal.SIGKILL, signal.SIGSTOP):
                signal.signal(signum, signal.SIG_DFL)
                signal.pthread_sigmask(signal.SIG_UNBLOCK, [signum])
            os.kill(os.getpid(), signum)
            time.sleep(1)
        except (OSError, ValueError):
            pass
        os._exit(128 + signum)


def main() -> None:
    if len(sys.argv) != 2:
        sys.stderr.write("usage: supervisor.py SPEC_JSON\n")
        sys.exit(2)
    Supervisor(json.loads(sys.argv[1])).run()


if __name__ == "__main__":
    main()
