"""boto3 helpers shared by the integration tests."""


def owned(ec2, describe, key, **filters):
    """Resources of one kind carrying the collection's ownership tag (plus filters)."""
    flt = [{"Name": "tag:owner", "Values": ["strata.platform"]}]
    flt += [{"Name": k, "Values": v if isinstance(v, list) else [v]} for k, v in filters.items()]
    return getattr(ec2, describe)(Filters=flt)[key]


def tags(resource):
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}
