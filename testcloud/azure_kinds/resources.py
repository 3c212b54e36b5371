"""Microsoft.Resources: resource groups."""

from testcloud.azure_kinds import Kind


class ResourceGroup(Kind):
    """A resource group: 201 on create, 200 on update; DELETE is long-running (202 + Location) and
    removes everything inside."""

    type = "microsoft.resources/resourcegroups"
    display_type = "Microsoft.Resources/resourceGroups"
    status_delete = 202
    not_found_code = "ResourceGroupNotFound"


KINDS = [ResourceGroup]
