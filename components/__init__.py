"""Groundwork's Pulumi components. Each is a `pulumi.ComponentResource` with typed args,
children parented to it and named from its name, and `register_outputs` last."""
