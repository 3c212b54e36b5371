"""KMS key-state operations accept the key ARN as ``KeyId``.

AWS: ScheduleKeyDeletion, CancelKeyDeletion, EnableKey, DisableKey and ReplicateKey take ``KeyId`` as
the key id or the key ARN alike.

moto 5.2.5: validates the ARN, then looks the key up by the raw parameter and answers HTTP 500
(``KeyError``) for an ARN. amazon.aws ``kms_key`` passes the key ARN to all of them: ``state: absent``
fails, as do ``enabled: false``, re-creating a key that is pending deletion (cancel + enable) and a
replica key created from the primary's ARN. Other KMS operations already resolve ARNs (untouched).
"""

from moto.kms.models import KmsBackend

from testcloud.aws_patches._patching import wrap_method

PATCH_NAME = __name__.rsplit(".", 1)[-1]
KEY_ID_METHODS = ("schedule_key_deletion", "cancel_key_deletion", "enable_key", "disable_key", "replicate_key")


def _make_wrapper(original):
    def with_raw_key_id(self, key_id, *args, **kwargs):
        return original(self, self.get_key_id(key_id), *args, **kwargs)

    return with_raw_key_id


def apply():
    """Resolve the ARN to the raw key id before each backend method looks the key up."""
    applied = [wrap_method(KmsBackend, name, PATCH_NAME, _make_wrapper) for name in KEY_ID_METHODS]
    return any(applied)
