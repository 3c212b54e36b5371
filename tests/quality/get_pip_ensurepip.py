"""Offline stand-in for ansible-test's get-pip.py bootstrap script.

ansible-test bootstraps pip into each empty sanity virtual environment by running a ``get-pip.py`` that it
downloads from ci-files.testing.ansible.com and caches as ``~/.ansible/test/cache/get_pip_<version>.py``
(see ansible_test/_util/target/setup/requirements.py, ``bootstrap()``). That host is unreachable here, so
scripts/sanity.sh places this file at that cache path instead. ansible-test runs it as
``<venv>/bin/python quiet_pip.py --disable-pip-version-check pip==X.Y [--no-setuptools] [--no-wheel]`` with
``GET_PIP`` pointing at this file, i.e. with the same arguments get-pip.py takes.

It installs the pip that ships with the interpreter (ensurepip, no network), then asks that pip for the
requested packages (pip==X.Y) from the configured index (PyPI, /etc/pip.conf). ``--no-setuptools`` and
``--no-wheel`` are honoured by not installing them; ensurepip on Python 3.12 installs neither.
"""

import ensurepip
import os
import subprocess
import sys


def main() -> int:
    args = sys.argv[1:]
    flags = {"--no-setuptools", "--no-wheel"}
    pip_options = [arg for arg in args if arg.startswith("-") and arg not in flags]
    packages = [arg for arg in args if not arg.startswith("-")]

    # ensurepip.bootstrap() deletes every PIP_* variable and sets PIP_CONFIG_FILE=/dev/null in this
    # process so that its own offline install ignores the pip configuration. The install from the index
    # below needs that configuration (/etc/pip.conf sets the CA bundle; the user's pip.conf may add
    # indexes), so it runs with the environment as it was before, without any PIP_CONFIG_FILE.
    environment = dict(os.environ)
    environment.pop("PIP_CONFIG_FILE", None)

    ensurepip.bootstrap(upgrade=True, default_pip=True)

    if packages:
        command = [sys.executable, "-m", "pip", "install", "--quiet", *pip_options, *packages]
        return subprocess.call(command, env=environment)
    return 0


if __name__ == "__main__":
    sys.exit(main())
