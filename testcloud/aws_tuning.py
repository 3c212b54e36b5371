"""Speed-ups for the AWS test cloud that change nothing a client can observe.

With ``MOTO_IAM_LOAD_MANAGED_POLICIES=true`` moto builds ~1,600 AWS-managed policies for each IAM
partition backend (five of them) the first time an account is touched, i.e. on the first request
after every reset: it parses the whole policy JSON again and re-serialises every document each time
(~1.5 s per reset). The parsed data and serialised documents are immutable, so they are computed
once per process; each backend still gets its own policy objects (attachment counts, versions).

Only the commercial partition (``aws``) gets the AWS-managed policies: the collection targets
commercial regions, and building them for aws-cn, aws-us-gov, aws-iso and aws-iso-b as well costs
five times as much on every reset. In those partitions ``arn:<partition>:iam::aws:policy/...``
ARNs are unknown to the test cloud.
"""

import functools
import json
from datetime import datetime

from moto.iam import models as iam_models
from moto.iam.aws_managed_policies import aws_managed_policies_data
from moto.settings import load_iam_aws_managed_policies

from testcloud.aws_patches._patching import wrap_method

PATCH_NAME = "aws_tuning_managed_policies"
MANAGED_POLICY_PARTITIONS = ("aws",)


@functools.cache
def managed_policy_arguments():
    """``[(name, AWSManagedPolicy keyword arguments)]``, as moto's ``from_data`` computes them."""
    parsed = json.loads(aws_managed_policies_data)
    return [
        (
            name,
            {
                "default_version_id": data.get("DefaultVersionId"),
                "path": data.get("Path"),
                "document": json.dumps(data.get("Document")),
                "create_date": datetime.fromisoformat(data["CreateDate"]),
                "update_date": datetime.fromisoformat(data["UpdateDate"]),
            },
        )
        for name, data in parsed.items()
    ]


def _make_wrapper(original):
    def _init_aws_policies(self):
        if not load_iam_aws_managed_policies():
            return original(self)
        if self.partition not in MANAGED_POLICY_PARTITIONS:
            return []
        return [
            iam_models.AWSManagedPolicy(name, account_id=self.account_id, region=self.region_name, **arguments)
            for name, arguments in managed_policy_arguments()
        ]

    return _init_aws_policies


def apply():
    """Build managed policies from the per-process cache."""
    return wrap_method(iam_models.IAMBackend, "_init_aws_policies", PATCH_NAME, _make_wrapper)
