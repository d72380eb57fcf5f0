"""Shared by the Lambda and the CLI: the window, the client catalog, the reasons, the query renderer, findings."""
