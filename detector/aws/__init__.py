"""What runs in AWS: the scheduled handler, its event parsing, the Athena engine, tracing and report delivery."""
