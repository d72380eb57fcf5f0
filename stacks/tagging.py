"""Tags on every resource: `Tags.of` for the resources CDK can tag, and an aspect for the few CDK writes as bare
`CfnResource`s (its custom-resource provider's function and role), which `Tags.of` does not reach."""

from __future__ import annotations

from collections.abc import Sequence

import jsii
from aws_cdk import Aspects, CfnResource, IAspect, TagManager, Tags
from constructs import Construct, IConstruct

BARE_TAGGABLE = frozenset({"AWS::Lambda::Function", "AWS::IAM::Role"})
"""Types CloudFormation can tag that CDK's providers create without a tag manager."""


@jsii.implements(IAspect)
class TagBareResources:
    def __init__(self, tags: Sequence[tuple[str, str]]) -> None:
        self.tags = [{"Key": key, "Value": value} for key, value in tags]

    def visit(self, node: IConstruct) -> None:
        if (
            isinstance(node, CfnResource)
            and node.cfn_resource_type in BARE_TAGGABLE
            and not TagManager.is_taggable(node)
        ):
            node.add_property_override("Tags", self.tags)


def tag_everything(scope: Construct, tags: Sequence[tuple[str, str]]) -> None:
    for key, value in tags:
        Tags.of(scope).add(key, value)
    Aspects.of(scope).add(TagBareResources(tags))
