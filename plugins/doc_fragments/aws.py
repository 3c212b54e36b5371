# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation shared by the collection's AWS modules."""

from __future__ import annotations


class ModuleDocFragment:
    """``extends_documentation_fragment: [strata.platform.aws]``: the attributes every AWS module of the
    collection has the same way (each module still documents its own check and diff mode)."""

    DOCUMENTATION = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/strata.platform.aws) in C(module_defaults) to set defaults for this module.
    support: full
    membership: [strata.platform.aws]
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: all
"""
