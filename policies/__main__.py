"""Groundwork policy pack: builds the PolicyPack. The policies live in groundwork_policies/.

The stack's environment (and so which policies are mandatory) and its exemptions come from
PULUMI_STACK and PULUMI_CONFIG, which the Pulumi CLI sets for every policy pack it runs.
"""

from groundwork_policies import REGISTRY, PackContext, server
from pulumi_policy import EnforcementLevel, PolicyPack

context = PackContext.from_env()
server.install()  # each request's properties converted once, not once per policy (server.py)

PolicyPack(
    name="groundwork",
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=REGISTRY.build(context),
    description=f"Groundwork audit controls (docs/controls.md) for {context.stack or 'a stack'} "
    f"({context.environment}): mandatory at their tier, advisory below.",
    display_name="Groundwork",
    provider="aws",
    tags=["groundwork", "aws", "eks", "kubernetes"],
)
