"""`python -m bench`: how fast and how lean the local scan is, as ratios against baselines run in the same process."""
