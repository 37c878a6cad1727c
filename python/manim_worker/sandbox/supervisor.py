"""Starts one sandboxed worker, under bubblewrap or (the `landlock` profile, landlocked_exec.py) confined by what an
unprivileged process may do to itself, and watches it until it ends. Run by the Node renderer as
`python -I -S -B supervisor.py SPEC_JSON` with an empty environment; the worker's stdin, stdout, stderr and
protocol fd 3 are inherited straight through to the sandbox.

The supervisor runs outside the sandbox as the service's user (root in the container). It:

1. prepares the user namespace (as root: one owned by the sandbox uid, see user_namespace.py; otherwise
   bubblewrap makes its own with --unshare-user --disable-userns) and the seccomp filter (seccomp_filter.py);
2. puts the sandbox in its own pids and memory cgroups, where the host allows (cgroups.py);
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
from manim_worker.sandbox.landlocked_exec import confine_and_exec, kill_tree  # noqa: E402
from manim_worker.sandbox.memory_watch import in_memory, sandbox_memory  # noqa: E402
from manim_worker.sandbox.output_relay import OutputRelay  # noqa: E402
from manim_worker.sandbox.process_tree import tree_cpu_seconds, tree_threads  # noqa: E402
from manim_worker.sandbox.cgroups import SandboxCgroups, remove_stale  # noqa: E402
from manim_worker.sandbox.user_namespace import can_limit_nested, create_user_namespace  # noqa: E402

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
SANDBOX_NICE = 10
# A spare sandbox (started ahead of its job) starts below the renders running beside it: its Python and Manim
# import take the CPU they leave, not theirs; SIGUSR1 (its job has come) raises it to SANDBOX_NICE. Root only: an
# unprivileged process cannot lower a nice value again.
SPARE_NICE = 19
PROMOTE_SIGNAL = signal.SIGUSR1
DISK_CHECK_MIN_SECONDS = 0.2
# Once the sandbox has ended, how long its stdout and stderr may take to reach end-of-file.
DRAIN_SECONDS = 2.0
# How often the sandbox tree's CPU is read while it runs, when its usage is to be reported (_report_usage).
CPU_SAMPLE_SECONDS = 0.5

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


def _enter_child(cgroup: SandboxCgroups | None, stdio: tuple[int, int], nice: int = SANDBOX_NICE) -> None:
    """In the forked child, whatever the profile: the relay's pipes as stdout and stderr, the signal state the
    worker must start with, the sandbox's cgroup, and a priority below the service's (a scene that spins every CPU
    slows itself, not the renderer)."""
    os.dup2(stdio[0], 1)
    os.dup2(stdio[1], 2)
    for sig in (*STOP_SIGNALS, PROMOTE_SIGNAL, signal.SIGCHLD, signal.SIGPIPE, signal.SIGXFSZ):
        signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    signal.set_wakeup_fd(-1)
    if cgroup is not None and cgroup.active:
        cgroup.join(0)
    os.setpriority(os.PRIO_PROCESS, 0, max(os.getpriority(os.PRIO_PROCESS, 0), nice))


def _exec_bwrap(
    spec: dict, argv: list[str], cgroup: SandboxCgroups | None, as_root: bool, keep_fds: list[int], stdio: tuple[int, int], nice: int
) -> None:
    """In the forked child: join the cgroup, become the sandbox uid, and exec bubblewrap. (The worker's rlimits
    are set inside the sandbox, by prlimit in front of it: see src/renderer/sandbox/bwrap-args.ts.)"""
    try:
        _enter_child(cgroup, stdio, nice)
        if as_root:
            uid, gid = spec["uid"], spec["gid"]
            os.setgroups([])
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)
        # Set after the uid change, which clears it: bubblewrap dies if the supervisor does.
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        for fd in keep_fds:
            os.set_inheritable(fd, True)
        # Nothing else the supervisor inherited (from the service, or whoever started it) reaches bubblewrap.
        _close_fds_except({0, 1, 2, 3, *keep_fds})
        os.execve(spec["bwrap"], argv, {})
    except BaseException as exc:  # noqa: BLE001 - whatever failed, the child must not return into the supervisor
        _say(f"could not start the sandbox: {type(exc).__name__}: {exc}")
    os._exit(125)


def _exec_landlocked(spec: dict, cgroup: SandboxCgroups | None, as_root: bool, stdio: tuple[int, int], nice: int) -> None:
    """In the forked child, for the landlock profile: join the cgroup, then confine this process and execute the
    worker (landlocked_exec.py)."""
    try:
        _enter_child(cgroup, stdio, nice)

        def before_exec() -> None:
            # After the uid change, which clears it: the worker dies if the supervisor does.
            _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            # (/proc is out of reach by now: every descriptor above the worker's four is closed by number.)
            os.closerange(4, 1 << 16)

        confine_and_exec(spec, as_root, before_exec)
    except BaseException as exc:  # noqa: BLE001 - whatever failed, the child must not return into the supervisor
        _say(f"could not start the sandbox: {type(exc).__name__}: {exc}")
    os._exit(125)


def _close_fds_except(keep: set[int]) -> None:
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass  # the directory's own fd, already gone


class Supervisor:
    def __init__(self, spec: dict) -> None:
        self.spec = spec
        self.as_root = os.geteuid() == 0
        self.cgroup: SandboxCgroups | None = None
        self.child = 0
        self.stop_signal = 0
        self.limit_exceeded = ""
        self.relay = OutputRelay(spec["logBytes"], spec["outputVolumeBytes"])
        self.landlocked = spec.get("profile") == "landlock"
        self.usage_reported = False
        # Started as a spare, below the renders, until its job comes (PROMOTE_SIGNAL); only as root (SPARE_NICE).
        self.spare = bool(spec.get("spare")) and self.as_root
        self.promote_asked = False
        self.promoted = False
        self.tree_cpu_sampled = 0.0

    def prepare(self) -> tuple[list[str], list[int], dict]:
        spec = self.spec
        report: dict = {"asRoot": self.as_root, "profile": "landlock" if self.landlocked else "bwrap"}
        argv = [spec.get("bwrap", "")]
        keep: list[int] = []
        if self.landlocked:
            # No namespace at all: the child confines itself (landlocked_exec.py), as the sandbox uid when root.
            if self.as_root:
                os.chown(spec["workDir"], spec["uid"], spec["gid"])
                os.chmod(spec["workDir"], 0o700)
            report["uid"] = spec["uid"] if self.as_root else os.getuid()
            report["seccomp"] = True
            self._join_cgroups(report)
            return argv, keep, report
        # Nested user namespaces are refused twice where the kernel lets a namespace's own limit be set to 0
        # (bubblewrap's --disable-userns, checked by --assert-userns-disabled), and by the seccomp filter alone
        # where it does not (gVisor has no user.max_user_namespaces): the probe sees the refusal from inside.
        seccomp_denies_nested = bool(spec.get("seccomp"))
        if self.as_root:
            fd, limited = create_user_namespace(spec["uid"], spec["gid"], seccomp_denies_nested)
            keep.append(fd)
            argv += ["--userns", str(fd), *(["--assert-userns-disabled"] if limited else [])]
            os.chown(spec["workDir"], spec["uid"], spec["gid"])
            os.chmod(spec["workDir"], 0o700)
            report["uid"] = spec["uid"]
        else:
            limited = can_limit_nested() or not seccomp_denies_nested
            argv += ["--unshare-user", *(["--disable-userns", "--assert-userns-disabled"] if limited else [])]
            report["uid"] = os.getuid()
        report["nestedUserNamespaces"] = "limited to 0 and denied by seccomp" if limited and seccomp_denies_nested else "limited to 0" if limited else "denied by seccomp"
        if spec.get("seccomp"):
            fd = _memfd_with(seccomp_filter.build_filter())
            keep.append(fd)
            argv += ["--seccomp", str(fd)]
        report["seccomp"] = bool(spec.get("seccomp"))
        self._join_cgroups(report)
        # The options through a file descriptor: the sandbox's PID 1 is bubblewrap, and its command line, readable
        # inside at /proc/1/cmdline, then shows nothing of the host's paths or the worker's settings. The command
        # itself must follow on the real command line (bubblewrap stops parsing --args data at its "--").
        args = spec["args"]
        split = args.index("--")
        args_fd = _memfd_with(b"".join(arg.encode() + b"\0" for arg in args[:split]))
        keep.append(args_fd)
        argv += ["--args", str(args_fd), *args[split:]]
        return argv, keep, report

    def _join_cgroups(self, report: dict) -> None:
        wanted = self.spec.get("cgroups")
        if wanted:
            group = SandboxCgroups.create(f"{os.getpid()}-{time.monotonic_ns()}", wanted.get("maxTasks"), wanted.get("memoryBytes"))
            self.cgroup = group
            report["cgroups"] = sorted(group.active)
            report["cgroupErrors"] = group.errors
            missing = [c for c in wanted.get("required", []) if c not in group.active]
            if missing:
                raise OSError(f"the sandbox's {', '.join(missing)} cgroup could not be set up: {group.errors}")

    def run(self) -> None:
        try:
            self._run()
        except BaseException as exc:  # noqa: BLE001 - the supervisor's own failure must still clean up
            if isinstance(exc, SystemExit):
                raise
            _say(f"the sandbox supervisor failed: {type(exc).__name__}: {exc}")
            self._kill_sandbox()
            self._cleanup()
            os._exit(125)

    def _run(self) -> None:
        # fds 0-3 are the worker's (stdin, stdout, stderr, protocol): where the caller left one closed, hold it
        # with /dev/null so that no pipe made here takes its number.
        for fd in range(4):
            try:
                os.fstat(fd)
            except OSError:
                os.open(os.devnull, os.O_RDWR)
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        # Before anything is made: a stop asked for while preparing still gets everything cleaned up.
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_r, False)
        os.set_blocking(wake_w, False)
        signal.set_wakeup_fd(wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        for sig in STOP_SIGNALS:
            signal.signal(sig, self._on_stop)
        signal.signal(PROMOTE_SIGNAL, self._on_promote)
        # Cgroups of supervisors that were killed before they could remove them (the parent's SIGKILL after its
        # grace, under heavy load) go with the next sandbox.
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
            report["memoryReadable"] = os.path.exists(f"/proc/{os.getpid()}/smaps_rollup") and os.access(f"/proc/{os.getpid()}/smaps_rollup", os.R_OK)
            print(json.dumps({"host": report}), flush=True)
        if self.stop_signal:
            self._cleanup()
            self._die_of(self.stop_signal)

        stdio = (self.relay.pipe_to(1), self.relay.pipe_to(2))
        nice = SPARE_NICE if self.spare and not self.promote_asked else SANDBOX_NICE
        self.child = os.fork()
        if self.child == 0:
            if self.landlocked:
                _exec_landlocked(self.spec, self.cgroup, self.as_root, stdio, nice)
            _exec_bwrap(self.spec, argv, self.cgroup, self.as_root, keep, stdio, nice)
        self.promoted = nice == SANDBOX_NICE
        for fd in (*keep, *stdio):
            os.close(fd)
        # The sandbox holds the job's stdin and the protocol channel: closing them here lets the parent see
        # end-of-file as soon as the sandbox ends. stdout and stderr stay, for the relay and the supervisor's notes.
        for fd in (0, 3):
            try:
                os.close(fd)
            except OSError:
                pass

        status = self._watch(wake_r)
        self.relay.finish()
        # The kernel's kills at the memory cgroup's limit are the scene's doing; read before the cgroup goes. A
        # SIGKILL without one came from outside the sandbox (the host, an operator) and says nothing of the scene.
        if self.cgroup is not None and not self.limit_exceeded and self.cgroup.oom_kills() > 0:
            self.limit_exceeded = "Memory limit exceeded: the kernel stopped the scene at the sandbox's memory limit"
        self._cleanup()
        self._exit_like(status)

    def _on_promote(self, _signum: int, _frame) -> None:
        self.promote_asked = True

    def _promote(self) -> None:
        """Its job has come: every thread of the sandbox goes up to SANDBOX_NICE (twice over, for threads a
        thread started while the first pass went by)."""
        self.promoted = True
        for _ in range(2):
            for pid in tree_threads(os.getpid()):
                try:
                    if os.getpriority(os.PRIO_PROCESS, pid) > SANDBOX_NICE:
                        os.setpriority(os.PRIO_PROCESS, pid, SANDBOX_NICE)
                except OSError:
                    pass  # gone already

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
        if self.landlocked:
            # No PID namespace to end with its first process: every descendant is found and killed.
            kill_tree(os.getpid())

    def _watch(self, wake_r: int) -> int:
        """Waits for bubblewrap to end while relaying output and checking the disk quota; then drains the output."""
        sample_cpu = bool(self.spec.get("usageFd"))
        next_cpu_sample = time.monotonic() + CPU_SAMPLE_SECONDS
        disk_bytes = self.spec.get("diskBytes")
        max_entries = self.spec.get("diskEntries", 100_000)
        # Where no memory cgroup bounds the sandbox, its whole memory is measured here (memory_watch.py).
        memory_bytes = self.spec.get("memoryWatchBytes")
        job_dir_in_memory = bool(memory_bytes) and in_memory(self.spec["workDir"])
        used = 0
        interval = DISK_CHECK_MIN_SECONDS
        next_check = time.monotonic() + interval
        status: int | None = None
        drain_until = 0.0
        while True:
            if status is None and self.stop_signal:
                self._kill_sandbox()  # (again: the stop may have come before the fork)
            if status is None and self.promote_asked and not self.promoted:
                self._promote()
            if status is None:
                pid, waited = os.waitpid(self.child, os.WNOHANG)
                if pid == self.child:
                    status = waited
                    drain_until = time.monotonic() + DRAIN_SECONDS
            now = time.monotonic()
            if status is not None and (not self.relay.open_fds() or now >= drain_until):
                return status
            if status is None and sample_cpu and now >= next_cpu_sample:
                self.tree_cpu_sampled = max(self.tree_cpu_sampled, tree_cpu_seconds(os.getpid()))
                next_cpu_sample = time.monotonic() + CPU_SAMPLE_SECONDS
            if status is None and (disk_bytes or memory_bytes) and not self.limit_exceeded and now >= next_check:
                if disk_bytes:
                    used, entries = disk_usage(self.spec["workDir"], max_entries)
                    if used > disk_bytes or entries > max_entries:
                        what = f"{entries} entries" if entries > max_entries else f"{used} bytes"
                        limit = f"{max_entries} entries" if entries > max_entries else f"{disk_bytes} bytes"
                        self._stop_for(f"Disk quota exceeded: the render wrote {what} (the limit is {limit}); stopped")
                if memory_bytes and not self.limit_exceeded:
                    held = sandbox_memory(os.getpid(), own_tmpfs=not self.landlocked, job_dir_bytes=used if job_dir_in_memory else 0, limit=memory_bytes)
                    if held > memory_bytes:
                        self._stop_for(f"Memory limit exceeded: the sandbox held {held} bytes (the limit is {memory_bytes}); stopped")
                took = time.monotonic() - now
                # Measuring costs the host CPU: never spend more than a fifth of the time on it.
                interval = max(DISK_CHECK_MIN_SECONDS, took * 5)
                next_check = time.monotonic() + interval
            if status is not None:
                wake_at = [drain_until]
            else:
                checking = (disk_bytes or memory_bytes) and not self.limit_exceeded
                wake_at = [*([next_check] if checking else []), *([next_cpu_sample] if sample_cpu else [])]
            timeout = max(0.0, min(wake_at) - time.monotonic()) if wake_at else None
            try:
                readable, _, _ = select.select([wake_r, *self.relay.open_fds()], [], [], timeout)
            except InterruptedError:
                continue
            for fd in readable:
                if fd == wake_r:
                    try:
                        os.read(wake_r, 4096)
                    except BlockingIOError:
                        pass
                else:
                    self.relay.read(fd)
            if self.relay.exceeded and not self.limit_exceeded:
                self._stop_for(
                    f"Output limit exceeded: the scene printed more than {self.relay.max_bytes} bytes; stopped"
                )

    def _stop_for(self, reason: str) -> None:
        self.limit_exceeded = reason
        self._kill_sandbox()

    def _cleanup(self) -> None:
        """Kills what is left of the sandbox and reaps it (the supervisor is a subreaper: an orphaned bubblewrap
        PID 1 comes back to it), then removes the cgroup."""
        if self.cgroup is not None:
            self.cgroup.kill_all()
        if self.landlocked:
            kill_tree(os.getpid())
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
        self._report_usage()

    def _report_usage(self) -> None:
        """What the whole sandbox tree used, measured here, outside it, and the supervisor's own CPU: written once,
        as one JSON line, on the descriptor the renderer gave for it (never one the sandbox can reach).

        CPU: what the kernel gave back with the processes reaped (by bubblewrap, or by this subreaper), or, where
        more, the tree's CPU as last read from /proc while it ran. The two differ for processes still running when a
        PID namespace ends: the kernel kills and reaps them with its first process, and their time is counted
        nowhere, so a scene could hide its CPU in an orphan; read from /proc, it is counted up to the last sample.
        Memory: the largest peak resident set of one process (the kernel's children's maximum)."""
        fd = self.spec.get("usageFd")
        if not fd or self.usage_reported:
            return
        self.usage_reported = True
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        own = resource.getrusage(resource.RUSAGE_SELF)
        reaped = children.ru_utime + children.ru_stime
        usage = {
            "cpuSeconds": round(max(reaped, self.tree_cpu_sampled) + own.ru_utime + own.ru_stime, 4),
            # ru_maxrss is in KiB on Linux.
            "peakMemoryBytes": children.ru_maxrss * 1024,
        }
        try:
            os.write(fd, (json.dumps(usage) + "\n").encode())
            os.close(fd)
        except OSError:
            pass

    def _exit_like(self, status: int) -> None:
        if self.stop_signal:
            self._die_of(self.stop_signal)
        if self.limit_exceeded:
            # Said last, after the relayed output, so that it ends the log the user sees.
            _say(self.limit_exceeded)
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
