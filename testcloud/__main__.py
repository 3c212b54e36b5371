"""Command line for the local test clouds: ``python -m testcloud <command>``.

    run   [--cloud aws] [--stats-file F] -- CMD ARGS...   start, run CMD in the cloud's environment,
                                                          write the final call counts to F, stop;
                                                          exits with CMD's exit code
    start --state-dir DIR [--cloud aws]                   start detached; write DIR/<cloud>.json and
                                                          DIR/env.sh; print the env.sh lines
    stop  --state-dir DIR [--cloud aws]                   stop the recorded servers by pid (fine if
                                                          already gone); remove the state files
    stats [--state-dir DIR] [--cloud aws] [--reset]       print a cloud's call counts (from DIR, else
                                                          from STRATA_TESTCLOUD_AWS / _AZURE)

``--cloud`` is ``aws`` (moto) or ``azure`` (the ARM test double) and may be repeated (testcloud/clouds.py);
it defaults to ``aws`` (for ``stop``: every cloud recorded in DIR). Servers log to DIR/<cloud>.log (``start``) or a
temporary file (``run``).
"""

import argparse
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import urllib.error

from testcloud._process import CloudError
from testcloud import aws, azure
from testcloud.clouds import CLOUDS, DEFAULT_CLOUD, cloud_class

ENV_FILE = "env.sh"
EXIT_USAGE = 2
EXIT_NOT_FOUND = 127


# -- state directory ---------------------------------------------------------------------------


def state_path(state_dir, cloud):
    """DIR/<cloud>.json"""
    return os.path.join(state_dir, f"{cloud}.json")


def read_state(state_dir, cloud):
    """The recorded state of ``cloud`` in ``state_dir``, or None."""
    try:
        with open(state_path(state_dir, cloud), encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return None


def write_json(path, payload):
    """Write ``payload`` as JSON, atomically."""
    temporary = f"{path}.tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.replace(temporary, path)


def recorded_clouds(state_dir):
    """Clouds with a state file in ``state_dir``."""
    return [cloud for cloud in CLOUDS if os.path.exists(state_path(state_dir, cloud))]


def env_lines(states):
    """Shell lines that unset and export what the given clouds' states list."""
    lines = ["# strata.platform local test cloud: source this file (python -m testcloud start)"]
    unset = sorted({key for state in states for key in state.get("unset", [])})
    if unset:
        lines.append("unset " + " ".join(unset))
    for state in states:
        lines.extend(f"export {key}={shlex.quote(value)}" for key, value in state["exports"].items())
    return lines


def write_env_file(state_dir):
    """Rewrite DIR/env.sh from the recorded states; remove it when none is left. Returns its lines."""
    states = [read_state(state_dir, cloud) for cloud in recorded_clouds(state_dir)]
    path = os.path.join(state_dir, ENV_FILE)
    if not states:
        remove_file(path)
        return []
    lines = env_lines(states)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return lines


def remove_file(path):
    """Delete ``path`` if it exists."""
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


# -- commands ----------------------------------------------------------------------------------


def reuse_running(state_dir, cloud):
    """The cloud recorded in ``state_dir`` if it still answers, else None."""
    state = read_state(state_dir, cloud)
    if state is None:
        return None
    server = cloud_class(cloud).from_state(state)
    if not server.running:
        return None
    try:
        server.ping()
    except OSError:
        return None
    return server


def cloud_options(cloud, args):
    """Constructor options of ``cloud`` from the command line (``--create-seconds``: AWS only; the
    Azure double's certificates go to DIR/azure-tls with ``start``, else to a temporary directory)."""
    if cloud == "aws" and args.create_seconds is not None:
        return {"create_seconds": args.create_seconds}
    if cloud == "azure" and getattr(args, "state_dir", None):
        return {"cert_dir": os.path.join(args.state_dir, "azure-tls")}
    return {}


def command_start(args):
    """Start each cloud detached (or keep the one already running) and record it."""
    os.makedirs(args.state_dir, exist_ok=True)
    for cloud in args.cloud or [DEFAULT_CLOUD]:
        if reuse_running(args.state_dir, cloud) is not None:
            print(f"testcloud: {cloud} already running (state in {args.state_dir})", file=sys.stderr)
            continue
        log_path = os.path.join(args.state_dir, f"{cloud}.log")
        server = cloud_class(cloud)(log_path=log_path, detached=True, **cloud_options(cloud, args))
        server.start(timeout=args.timeout)
        write_json(state_path(args.state_dir, cloud), server.state())
    print("\n".join(write_env_file(args.state_dir)))
    return 0


def command_stop(args):
    """Stop the recorded clouds by pid and forget them."""
    for cloud in args.cloud or recorded_clouds(args.state_dir):
        state = read_state(args.state_dir, cloud)
        if state is None:
            print(f"testcloud: no {cloud} state in {args.state_dir}: nothing to stop", file=sys.stderr)
            continue
        cloud_class(cloud).from_state(state).stop(timeout=args.timeout)
        remove_file(state_path(args.state_dir, cloud))
    if os.path.isdir(args.state_dir):
        write_env_file(args.state_dir)
    return 0


def stats_client(args):
    """A stats client for the cloud in ``--state-dir``, else for its endpoint variable."""
    module = azure if args.cloud == "azure" else aws
    if args.state_dir:
        state = read_state(args.state_dir, args.cloud)
        if state is None:
            raise CloudError(f"no {args.cloud} test cloud recorded in {args.state_dir}")
        if args.cloud == "azure":
            return module.StatsClient(state["endpoint"], cloud_class("azure").from_state(state).ca_file)
        return module.StatsClient(state["endpoint"])
    return module.StatsClient.from_env()


def command_stats(args):
    """Print a cloud's call counters (then zero them with --reset)."""
    client = stats_client(args)
    print(json.dumps(client.stats(), indent=2, sort_keys=True))
    if args.reset:
        client.reset_stats()
    return 0


def run_child(command, env):
    """Run ``command``; its exit code (128+N when killed by signal N, 127 if not found)."""
    try:
        returncode = subprocess.call(command, env=env)  # noqa: S603 - the user's own command
    except FileNotFoundError as error:
        print(f"testcloud: cannot run {command[0]}: {error.strerror}", file=sys.stderr)
        return EXIT_NOT_FOUND
    return 128 - returncode if returncode < 0 else returncode


def final_stats(servers):
    """The call counts to write with --stats-file: one cloud's dict, or ``{cloud: dict}``."""
    counted = {server.name: server.stats() for server in servers if hasattr(server, "stats")}
    if len(counted) == 1:
        return next(iter(counted.values()))
    return counted


def command_run(args):
    """Start the clouds, run the command with their environment, stop them by pid."""
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        print("testcloud run: no command given (python -m testcloud run -- CMD ARGS...)", file=sys.stderr)
        return EXIT_USAGE
    if shutil.which(command[0]) is None:
        print(f"testcloud run: cannot run {command[0]}: command not found", file=sys.stderr)
        return EXIT_NOT_FOUND
    servers = []
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        env = dict(os.environ)
        for cloud in args.cloud or [DEFAULT_CLOUD]:
            server = cloud_class(cloud)(**cloud_options(cloud, args))
            servers.append(server)
            env = server.start(timeout=args.timeout).env(env)
        returncode = run_child(command, env)
        if args.stats_file:
            write_json(args.stats_file, final_stats(servers))
        return returncode
    finally:
        for server in servers:
            server.stop()


# -- argument parsing --------------------------------------------------------------------------


def add_cloud_option(parser, help_text):
    """``--cloud NAME`` (repeatable) and the AWS cloud's ``--create-seconds``."""
    parser.add_argument("--cloud", action="append", choices=sorted(CLOUDS), help=help_text)
    parser.add_argument(
        "--create-seconds",
        type=float,
        help="AWS: seconds new RDS instances, ElastiCache replication groups and MSK clusters stay creating "
        "(default: STRATA_TESTCLOUD_CREATE_SECONDS, else 0)",
    )


def build_parser():
    """The ``python -m testcloud`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="python -m testcloud", description=__doc__.split("\n\n", maxsplit=1)[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="name", required=True)

    run = commands.add_parser("run", help="run a command against fresh test clouds")
    add_cloud_option(run, f"cloud to start (repeatable, default {DEFAULT_CLOUD})")
    run.add_argument("--stats-file", help="write the final call counts (JSON) here")
    run.add_argument("--timeout", type=float, default=30.0, help="start timeout in seconds")
    run.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD ARGS...")
    run.set_defaults(handler=command_run)

    start = commands.add_parser("start", help="start detached test clouds, recorded in a state directory")
    start.add_argument("--state-dir", required=True)
    add_cloud_option(start, f"cloud to start (repeatable, default {DEFAULT_CLOUD})")
    start.add_argument("--timeout", type=float, default=30.0, help="start timeout in seconds")
    start.set_defaults(handler=command_start)

    stop = commands.add_parser("stop", help="stop the test clouds recorded in a state directory")
    stop.add_argument("--state-dir", required=True)
    add_cloud_option(stop, "cloud to stop (repeatable, default: every recorded one)")
    stop.add_argument("--timeout", type=float, default=10.0, help="seconds before SIGKILL")
    stop.set_defaults(handler=command_stop)

    stats = commands.add_parser("stats", help=f"print a cloud's call counts (state dir or {aws.ENDPOINT_ENV} / {azure.ENDPOINT_ENV})")
    stats.add_argument("--state-dir")
    stats.add_argument("--cloud", choices=sorted(CLOUDS), default=DEFAULT_CLOUD, help="whose counts (default %(default)s)")
    stats.add_argument("--reset", action="store_true", help="zero the counters after printing them")
    stats.set_defaults(handler=command_stats)
    return parser


def main(argv=None):
    """Entry point; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except CloudError as error:
        print(f"testcloud {args.name}: {error}", file=sys.stderr)
        return 1
    except urllib.error.URLError as error:
        print(f"testcloud {args.name}: cannot reach the test cloud: {error.reason}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"testcloud {args.name}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
