# -*- coding: utf-8 -*-

# Copyright: strata.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one implementation behind the strata.platform.platform_layer lookup and the
strata.platform.platform_layer_info module: check the request, then search the target's cloud (or, for a
region neither cloud's list knows, AWS then Azure) and return the normalised layers.

Private to the collection. The front ends only bring their options, their AWS client factory and their
Azure credentials.
"""

from typing import Any
from typing import Callable
from typing import Dict
from typing import Optional

from ansible_collections.strata.platform.plugins.module_utils._platform import layers as L
from ansible_collections.strata.platform.plugins.module_utils._platform.aws import find_aws
from ansible_collections.strata.platform.plugins.module_utils._platform.azure import find_azure


def find_target(
    request: Dict[str, Any],
    aws: Optional[Callable[[], Callable[[str], Any]]] = None,
    azure: Optional[Callable[[], Any]] = None,
    iam_path: str = L.DEFAULT_IAM_PATH,
    warn: Callable[[str], None] = lambda message: None,
) -> Dict[str, Any]:
    """The layers of ``request`` (from layers.check_request).

    ``aws()`` checks the AWS credentials and returns ``client(service)`` for the target's region; ``azure()``
    checks the Azure credentials and returns an ArmClient. Each is called only when its cloud is searched.
    With two candidate clouds the first one where a layer is found wins; when neither has one, ``cloud`` is null.
    Raises LayerLookupError (credentials, Azure calls) or AnsiblePlatformAWSError (AWS calls)."""
    for cloud in request["clouds"]:
        if cloud == "aws":
            result = find_aws(request, aws(), iam_path=iam_path, warn=warn)
        else:
            result = find_azure(request, azure(), warn=warn)
        if len(request["clouds"]) == 1 or L.found_any(result):
            return result
    return L.empty_result(request, None)
