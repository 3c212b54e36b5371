"""The test clouds the CLI knows, by short name (``--cloud``).

Each entry names a :class:`testcloud._process.CloudServer` subclass.
"""

import importlib

CLOUDS = {
    "aws": "testcloud.aws:AwsTestCloud",
    "azure": "testcloud.azure:AzureTestCloud",
}
DEFAULT_CLOUD = "aws"


def cloud_class(name):
    """The server class registered as ``name``."""
    module_name, class_name = CLOUDS[name].split(":")
    return getattr(importlib.import_module(module_name), class_name)
