"""The CDK side: settings, the constructs and the one stack that composes them."""
