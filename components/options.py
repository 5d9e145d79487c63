"""Resource options the components share."""

from __future__ import annotations

import pulumi


def kept(parent: pulumi.Resource, protect: bool) -> pulumi.ResourceOptions:
    """A stateful or audit resource (keys, data, secrets, log groups): with the stack's `protect`
    (on in prod, GOV-02) Pulumi refuses to delete or replace it, and `pulumi destroy` leaves it in
    AWS instead of deleting it (`retain_on_delete`)."""
    return pulumi.ResourceOptions(parent=parent, protect=protect, retain_on_delete=protect)
