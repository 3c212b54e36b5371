"""Process plumbing shared by the test-cloud servers (AWS: moto; Azure: the ARM double).

A test-cloud server is a Python module run as ``python -m <module> --host 127.0.0.1 --port 0``
that binds a free port, prints ``TESTCLOUD_PORT=<n>`` on stdout (flushed) once it listens, and
exits cleanly on SIGTERM. :class:`CloudServer` starts such a module, learns its port, waits until
it answers, and stops it by pid.
"""

import json
import os
import selectors
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

PORT_LINE_PREFIX = "TESTCLOUD_PORT="
HOST = "127.0.0.1"

# The directory that holds the `testcloud` package: the server child runs with it as cwd and on
# PYTHONPATH, so `python -m testcloud.<server>` resolves whatever the caller's cwd is.
PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class StopServing(BaseException):
    """Raised by the signal handler to leave ``serve_forever`` in the main thread."""


def stop_on_signal(signum, frame):
    """SIGTERM/SIGINT handler of a test-cloud server."""
    raise StopServing(signum)


def announce_port(port):
    """Print the port line, then send any later stdout output to stderr."""
    sys.stdout.write(f"{PORT_LINE_PREFIX}{port}\n")
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())


def serve_until_signal(server, port):
    """The server side of the protocol above: announce ``port``, serve until SIGTERM/SIGINT, close, and leave the
    process at once (nothing to clean up; tearing down a large in-memory state such as moto's takes seconds)."""
    signal.signal(signal.SIGTERM, stop_on_signal)
    signal.signal(signal.SIGINT, stop_on_signal)
    announce_port(port)
    try:
        server.serve_forever()
    except StopServing:
        pass
    server.server_close()
    sys.stderr.flush()
    os._exit(0)


class CloudError(RuntimeError):
    """Base class for test-cloud failures."""


class CloudStartError(CloudError):
    """The server process did not come up (exited early, printed no port, or never answered)."""


class CloudNotConfigured(CloudError):
    """No running test cloud is known (no state file, no endpoint variable)."""


def no_proxy_opener():
    """A urllib opener that never goes through HTTP(S)_PROXY: the clouds live on 127.0.0.1."""
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


_OPENER = no_proxy_opener()


def http_json(method, url, timeout=5.0, cafile=None):
    """Send a body-less request to ``url`` and decode the JSON answer (``cafile``: the CA to trust
    for an https URL)."""
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    opener = _OPENER
    if cafile:
        context = ssl.create_default_context(cafile=cafile)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context))
    with opener.open(request, timeout=timeout) as response:
        return json.loads(response.read().decode("utf-8"))


def backoff_delays(first=0.01, factor=2.0, cap=0.2):
    """Yield growing poll delays: short at first, never longer than ``cap``."""
    delay = first
    while True:
        yield delay
        delay = min(delay * factor, cap)


def pid_alive(pid):
    """True while ``pid`` names a live (not zombie) process."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return _proc_state(pid) not in ("Z", "X", None)


def _proc_state(pid):
    """The one-letter state from /proc/<pid>/stat, '?' where /proc is unavailable, None if gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as handle:
            stat = handle.read()
    except FileNotFoundError:
        return None if os.path.isdir("/proc") else "?"
    except PermissionError:
        return "?"
    return stat.rpartition(")")[2].split()[0]


def pid_runs_module(pid, module):
    """True if the process ``pid`` was started as ``python -m <module>`` (guards against pid reuse)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            argv = handle.read().split(b"\0")
    except FileNotFoundError:
        return not os.path.isdir("/proc") and pid_alive(pid)
    except PermissionError:
        return False
    return module.encode() in argv


def wait_pid_gone(pid, timeout, proc=None):
    """Wait up to ``timeout`` seconds for ``pid`` to exit; reap it when it is our child."""
    if proc is not None:
        try:
            proc.wait(timeout=timeout)
            return True
        except subprocess.TimeoutExpired:
            return False
    deadline = time.monotonic() + timeout
    for delay in backoff_delays():
        if not pid_alive(pid):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(delay)
    return False  # pragma: no cover - backoff_delays never ends


def terminate_pid(pid, timeout=10.0, proc=None):
    """SIGTERM ``pid``, wait for it, SIGKILL it after ``timeout``. Fine if it is already gone."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            break
        if wait_pid_gone(pid, timeout, proc):
            break
    if proc is not None and proc.returncode is None:
        proc.wait(timeout=timeout)


def read_port_line(proc, deadline):
    """Read the child's stdout until the ``TESTCLOUD_PORT=<n>`` line; return the port number."""
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    buffer = b""
    try:
        while True:
            for line in buffer.split(b"\n")[:-1]:
                text = line.decode("utf-8", errors="replace").strip()
                if text.startswith(PORT_LINE_PREFIX):
                    return int(text[len(PORT_LINE_PREFIX):])
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise CloudStartError("the server printed no port line before the deadline")
            if not selector.select(timeout=remaining):
                continue
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                raise CloudStartError(f"the server exited before listening (exit code {proc.wait()})")
            buffer += chunk
    finally:
        selector.close()


def log_tail(path, lines=30):
    """The last ``lines`` lines of a log file, for error messages."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return "".join(handle.readlines()[-lines:])
    except OSError as error:
        return f"(no log: {error})"


class CloudServer:
    """One test-cloud server process on 127.0.0.1, started and stopped by pid.

    Subclasses set ``name`` (the cloud's short name: ``aws``, later ``azure``), ``server_module``
    (run as ``python -m``) and ``scheme``, and add the cloud's environment and control calls.
    """

    name = ""
    server_module = ""
    scheme = "http"

    def __init__(self, log_path=None, detached=False, extra_args=()):
        """``log_path`` receives the server's stderr (a temporary file if None); ``detached``
        starts it in its own session so that it outlives the starting process."""
        self.log_path = str(log_path) if log_path else None
        self.detached = detached
        self.extra_args = list(extra_args)
        self.pid = None
        self.port = None
        self._proc = None

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def endpoint(self):
        """The server's base URL, e.g. ``http://127.0.0.1:40123``."""
        if self.port is None:
            return None
        return f"{self.scheme}://{HOST}:{self.port}"

    @property
    def running(self):
        """True while the recorded pid is alive."""
        return self.pid is not None and pid_alive(self.pid)

    def start(self, timeout=30.0):
        """Spawn the server, learn its port, and wait until it answers. Returns self."""
        if self.running:
            return self
        deadline = time.monotonic() + timeout
        self._proc = self._spawn()
        self.pid = self._proc.pid
        try:
            self.port = read_port_line(self._proc, deadline)
            self._proc.stdout.close()
            self._wait_ready(deadline)
        except CloudStartError as error:
            self.stop()
            raise CloudStartError(f"{self.name} test cloud did not start: {error}\n{log_tail(self.log_path)}") from error
        except BaseException:  # interrupted while starting: leave no server behind, then re-raise
            self.stop()
            raise
        return self

    def stop(self, timeout=10.0):
        """Stop the server by pid (SIGTERM, then SIGKILL after ``timeout``). Idempotent."""
        if self.pid is not None and (self._proc is not None or pid_runs_module(self.pid, self.server_module)):
            terminate_pid(self.pid, timeout, self._proc)
        if self._proc is not None and self._proc.stdout and not self._proc.stdout.closed:
            self._proc.stdout.close()
        self._proc = None
        self.pid = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def ping(self, timeout=2.0):
        """Ask the server once whether it answers; subclasses say how."""
        raise NotImplementedError

    def _wait_ready(self, deadline):
        """Poll :meth:`ping` with a short backoff until it answers or the deadline passes."""
        last_error = None
        for delay in backoff_delays():
            if self._proc is not None and self._proc.poll() is not None:
                raise CloudStartError(f"the server exited with code {self._proc.returncode}")
            try:
                self.ping(timeout=max(0.1, min(2.0, deadline - time.monotonic())))
                return
            except (OSError, urllib.error.URLError, ValueError) as error:
                last_error = error
            if time.monotonic() + delay >= deadline:
                raise CloudStartError(f"the server did not answer before the deadline: {last_error}")
            time.sleep(delay)

    def _spawn(self):
        """Start ``python -m <server_module>`` with stdout piped (for the port line)."""
        if self.log_path is None:
            handle, self.log_path = tempfile.mkstemp(prefix=f"testcloud-{self.name}-", suffix=".log")
            os.close(handle)
        env = self.server_env(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [PACKAGE_PARENT, env.get("PYTHONPATH")]))
        env["PYTHONUNBUFFERED"] = "1"
        command = [sys.executable, "-m", self.server_module, "--host", HOST, "--port", "0", *self.extra_args]
        with open(self.log_path, "ab") as log:
            return subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                command,
                cwd=PACKAGE_PARENT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=log,
                start_new_session=self.detached,
            )

    # -- persisted state (CLI start/stop across processes) -----------------------------------

    def state(self):
        """What another process needs to find and stop this server."""
        return {
            "cloud": self.name,
            "pid": self.pid,
            "endpoint": self.endpoint,
            "port": self.port,
            "log": self.log_path,
            "exports": self.exports(),
            "unset": list(self.unset_vars()),
        }

    @classmethod
    def from_state(cls, state):
        """Rebuild a handle on a server started elsewhere, from :meth:`state`'s dict."""
        cloud = cls(log_path=state.get("log"))
        cloud.pid = state.get("pid")
        cloud.port = state.get("port")
        return cloud

    # -- environment -------------------------------------------------------------------------

    def exports(self, environ=None):
        """Variables to set so that clients reach this cloud (``environ``: the environment they join)."""
        raise NotImplementedError

    def unset_vars(self, environ=None):
        """Variables to remove so that nothing routes clients elsewhere."""
        return ()

    def server_env(self, base):
        """The server's own environment: ``base`` minus :meth:`unset_vars` (a user's profile or
        endpoint variables must not leak into the server's own SDK use)."""
        unset = set(self.unset_vars(base))
        return {key: value for key, value in base.items() if key not in unset}

    def env(self, base=None):
        """A full environment: ``base`` (default ``os.environ``) minus :meth:`unset_vars`, plus :meth:`exports`."""
        environ = dict(os.environ if base is None else base)
        for key in self.unset_vars(environ):
            environ.pop(key, None)
        environ.update(self.exports(environ))
        return environ
