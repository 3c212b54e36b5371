"""Helpers to wrap moto methods once, loudly failing if moto moved them."""

import functools

MARKER = "_testcloud_patches"


class PatchError(RuntimeError):
    """A fidelity patch could not find what it wraps (moto changed): fix the patch, don't skip it."""


def wrap_method(owner, name, patch_name, make_wrapper):
    """Replace ``owner.<name>`` (defined on ``owner`` itself) by ``make_wrapper(original)``.

    Applying the same ``patch_name`` twice is a no-op. Several patches may wrap one method.
    Returns True if the method was wrapped now.
    """
    current = vars(owner).get(name)
    if current is None:
        raise PatchError(f"{patch_name}: {owner.__module__}.{owner.__qualname__}.{name} not found")
    applied = getattr(current, MARKER, frozenset())
    if patch_name in applied:
        return False
    wrapper = functools.wraps(current)(make_wrapper(current))
    setattr(wrapper, MARKER, applied | {patch_name})
    setattr(owner, name, wrapper)
    return True
