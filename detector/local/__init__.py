"""What runs on a laptop: the CLI, the local reader over downloaded logs, and the cost estimate."""
