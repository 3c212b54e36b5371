"""The local AWS test cloud: moto's server app with the collection's fidelity patches, counted.

Run as ``python -m testcloud.aws_server [--host 127.0.0.1] [--port 0]``. It binds the port (0 = a
free one), prints ``TESTCLOUD_PORT=<n>`` on stdout once it listens, then serves threaded until
SIGTERM/SIGINT. After the port line, stdout is pointed at stderr so that nothing the server prints
later can fill a pipe the starting process no longer reads.
"""

import argparse
import logging
import os
import sys

from testcloud._process import HOST, serve_until_signal

CREATE_SECONDS_ENV = "STRATA_TESTCLOUD_CREATE_SECONDS"  # read by testcloud.aws_patches._creation

# moto reads these when its modules are imported, so they are set before any moto import below.
MOTO_ENVIRONMENT = {
    "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",  # AWS-managed policy ARNs resolve (DESIGN.md)
}


def parse_args(argv):
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m testcloud.aws_server", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=HOST, help="address to bind (default: %(default)s)")
    parser.add_argument("--port", type=int, default=0, help="port to bind, 0 for a free one (default: %(default)s)")
    parser.add_argument("--log-requests", action="store_true", help="log every request on stderr")
    parser.add_argument(
        "--create-seconds",
        type=float,
        help="seconds new RDS instances, ElastiCache replication groups and MSK clusters report their creating "
        f"state (sets {CREATE_SECONDS_ENV}; per service {CREATE_SECONDS_ENV}_RDS|_ELASTICACHE|_MSK win)",
    )
    return parser.parse_args(argv)


def prepare_moto_environment(create_seconds=None):
    """Set the variables moto reads at import time (before importing it) and the creation time."""
    os.environ.update(MOTO_ENVIRONMENT)
    if create_seconds is not None:
        os.environ[CREATE_SECONDS_ENV] = str(max(0.0, create_seconds))


def reset_moto_state():
    """Clear every moto backend, like ``POST /moto-api/reset``."""
    from moto.moto_api._internal.models import moto_api_backend  # noqa: PLC0415 - after prepare_moto_environment

    moto_api_backend.reset()


def build_app():
    """moto's server WSGI app, patched for fidelity (and speed), wrapped in the counting middleware."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app  # noqa: PLC0415

    from testcloud.aws_counting import CountingMiddleware  # noqa: PLC0415
    from testcloud import aws_tuning  # noqa: PLC0415
    from testcloud.aws_patches import apply_all  # noqa: PLC0415

    apply_all()
    aws_tuning.apply()
    return CountingMiddleware(DomainDispatcherApplication(create_backend_app), reset_state=reset_moto_state)


def make_server(host, port, app):
    """A threaded werkzeug server bound to ``host:port`` (listening on return)."""
    from moto.moto_server.werkzeug_app import MotoRequestHandler  # noqa: PLC0415
    from werkzeug.serving import make_server as werkzeug_make_server  # noqa: PLC0415

    return werkzeug_make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)


def main(argv=None):
    """Serve until told to stop; exits the process."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    prepare_moto_environment(args.create_seconds)
    if not args.log_requests:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server(args.host, args.port, build_app())
    os.environ["MOTO_PORT"] = str(server.port)  # moto's calls to itself
    serve_until_signal(server, server.port)


if __name__ == "__main__":
    sys.exit(main())
