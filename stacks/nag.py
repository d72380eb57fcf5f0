"""Acknowledging a cdk-nag finding where the construct that causes it is built, with its one-line reason."""

from __future__ import annotations

from aws_cdk import Acknowledgment, CfnElement, Stack, Validations
from aws_cdk import aws_iam as iam
from constructs import IConstruct


def acknowledge_wildcard(role: iam.Role, finding: str, reason: str) -> None:
    """AwsSolutions-IAM5 for one wildcard (`Resource::…` or `Action::…`) in the role's default policy."""
    policy = role.node.try_find_child("DefaultPolicy")
    if policy is None:
        raise LookupError(f"{role.node.path} has no default policy yet: grant before acknowledging its findings")
    Validations.of(policy).acknowledge(Acknowledgment(id=f"AwsSolutions::AwsSolutions-IAM5[{finding}]", reason=reason))


def logical_id(construct: IConstruct) -> str:
    """The logical ID of a construct's CloudFormation resource, as cdk-nag names it in findings."""
    resource = construct.node.default_child
    if not isinstance(resource, CfnElement):
        raise TypeError(f"{construct.node.path} has no CloudFormation resource of its own")
    return Stack.of(construct).get_logical_id(resource)
